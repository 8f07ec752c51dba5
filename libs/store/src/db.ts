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
}

export function createDb(connectionString: string, options: DbOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'taskflow',
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', options.onError ?? (() => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
}
