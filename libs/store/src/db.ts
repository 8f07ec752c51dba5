import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';

export type Db = Kysely<Database>;

export interface DbOptions {
  /** Pool size; keep small per process, PostgreSQL connections are expensive. */
  max?: number;
  /** Called for errors of idle clients (e.g. the server restarted); without it they crash the process. */
  onError?: (err: Error) => void;
  applicationName?: string;
  /** How long to wait for a connection (a new one, or a free one of the pool) before failing. */
  connectTimeoutMs?: number;
  /** PostgreSQL's statement_timeout for every query (0: none): the server cancels a runaway query. */
  statementTimeoutMs?: number;
}

export function createDb(connectionString: string, options: DbOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'taskflow',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    // A PostgreSQL host that vanished without closing its connections is noticed by TCP, not never.
    keepAlive: true,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  });
  pool.on('error', options.onError ?? (() => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
}
