import { sql, type Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The first answer to each (user, Idempotency-Key) of a task action, written in the action's own transaction: a
    -- replay (a page sending its offline queue again after a lost answer) gets it back instead of acting twice.
    CREATE TABLE idempotency_keys (
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      key text NOT NULL CHECK (length(key) BETWEEN 8 AND 128),
      -- What the key was first used for (method, path, body), hashed: the same key for another request is refused.
      fingerprint text NOT NULL,
      status_code integer NOT NULL,
      response jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (user_id, key)
    );
    -- The sweep of expired keys reads by expiry.
    CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE idempotency_keys`.execute(db);
}
