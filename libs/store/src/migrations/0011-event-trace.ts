import { sql, type Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The W3C traceparent of the span that committed the event (OpenTelemetry, when tracing is on): the outbox
    -- publish continues that trace. Null while tracing is off and for every event written before. Adding a nullable
    -- column without a default rewrites nothing, so it is instant on a large table.
    ALTER TABLE task_events ADD COLUMN trace_parent text;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE task_events DROP COLUMN trace_parent;`.execute(db);
}
