import { sql, type Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead. Values are spelled out (not imported).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The pull request's own state beside the task's status: draft/ready/merged/closed, the latest
    -- decisive review and the CI outcome of its head (with the check's link).
    ALTER TABLE tasks
      ADD COLUMN pr_state text CHECK (pr_state IN ('draft', 'ready', 'merged', 'closed')),
      ADD COLUMN review_state text CHECK (review_state IN ('approved', 'changes_requested')),
      ADD COLUMN checks_state text CHECK (checks_state IN ('pending', 'passing', 'failing')),
      ADD COLUMN checks_url text;
    UPDATE tasks SET pr_state = CASE
      WHEN status = 'merged' THEN 'merged'
      WHEN status = 'pr_open' THEN 'ready'
      WHEN status = 'failed' AND pr_number IS NOT NULL THEN 'closed'
    END
    WHERE pr_number IS NOT NULL;

    -- Users who asked to hear about a task they did not create.
    CREATE TABLE task_follows (
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, task_id)
    );
    CREATE INDEX task_follows_task_idx ON task_follows (task_id);

    -- One notification per (user, task event): written in the event's own transaction.
    CREATE TABLE notifications (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
      seq integer NOT NULL CHECK (seq >= 1),
      kind text NOT NULL,
      message text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      read_at timestamptz,
      UNIQUE (user_id, task_id, seq)
    );
    CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
    CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
    -- The publisher reads a task event's notifications by (task_id, seq).
    CREATE INDEX notifications_task_seq_idx ON notifications (task_id, seq);

    -- Absent row: every kind. Present: only these kinds are written.
    CREATE TABLE notification_preferences (
      user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      kinds text[] NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE notification_preferences, notifications, task_follows;
    ALTER TABLE tasks DROP COLUMN pr_state, DROP COLUMN review_state, DROP COLUMN checks_state, DROP COLUMN checks_url;
  `.execute(db);
}
