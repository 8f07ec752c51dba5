import { createDb, type Db } from '@taskflow/store';

/** The product database's own counters (`pg_stat_database`): what a window of traffic wrote. */
export interface PostgresCounters {
  /** Committed transactions, read-only ones included. */
  commits: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
}

/** Growth between two readings; null when either is missing or a counter went back (statistics reset). */
export function postgresDelta(a: PostgresCounters | null, b: PostgresCounters | null): PostgresCounters | null {
  if (!a || !b) return null;
  const d = {
    commits: b.commits - a.commits,
    rowsInserted: b.rowsInserted - a.rowsInserted,
    rowsUpdated: b.rowsUpdated - a.rowsUpdated,
    rowsDeleted: b.rowsDeleted - a.rowsDeleted,
  };
  return Object.values(d).some((v) => v < 0) ? null : d;
}

/**
 * Reads the counters of the database in `url` on a connection of its own. PostgreSQL publishes a backend's counts
 * when it goes idle, at most once a second: a window of several seconds sees all but the last second's.
 */
export class PostgresCounterSampler {
  private readonly db: Db;
  private readonly database: string;

  constructor(url: string) {
    this.db = createDb(url, { max: 1, applicationName: 'taskflow-bench-counters', connectTimeoutMs: 3000 });
    this.database = decodeURIComponent(new URL(url).pathname.slice(1));
  }

  /** The counters now, or null when PostgreSQL does not answer (a run goes on without them). */
  async sample(): Promise<PostgresCounters | null> {
    try {
      // pg_stat_database is not in the product's schema: the query builder is used untyped here.
      const row = await (this.db as any)
        .selectFrom('pg_stat_database')
        .select(['xactCommit', 'tupInserted', 'tupUpdated', 'tupDeleted'])
        .where('datname', '=', this.database)
        .executeTakeFirstOrThrow();
      return {
        commits: Number(row.xactCommit),
        rowsInserted: Number(row.tupInserted),
        rowsUpdated: Number(row.tupUpdated),
        rowsDeleted: Number(row.tupDeleted),
      };
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
