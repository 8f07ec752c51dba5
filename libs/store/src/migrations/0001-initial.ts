import { sql, type Kysely } from 'kysely';

// Migrations are frozen once released: never edit, add a new one instead.
// Status values are spelled out here (not imported) for the same reason.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE orgs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      slug text NOT NULL UNIQUE,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL REFERENCES orgs(id),
      username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9_.-]{2,40}$'),
      name text NOT NULL,
      password_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX users_org_idx ON users (org_id);

    CREATE TABLE tasks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL REFERENCES orgs(id),
      creator_id uuid NOT NULL REFERENCES users(id),
      title text NOT NULL,
      description text NOT NULL,
      status text NOT NULL CHECK (status IN ('received', 'analyzing', 'needs_clarification', 'dispatched',
                                             'coding', 'pr_open', 'merged', 'failed', 'cancelled')),
      seq integer NOT NULL CHECK (seq >= 1),
      is_private boolean NOT NULL DEFAULT false,
      repo text NOT NULL,
      task_type_hint text NOT NULL DEFAULT 'auto',
      files_hint text[] NOT NULL DEFAULT '{}',
      acceptance_criteria text[] NOT NULL DEFAULT '{}',
      priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'urgent')),
      preferred_agent text NOT NULL DEFAULT 'auto',
      summary text,
      task_type text,
      recommended_agent text,
      likely_files text[] NOT NULL DEFAULT '{}',
      suggested_criteria text[] NOT NULL DEFAULT '{}',
      clarification_questions text[] NOT NULL DEFAULT '{}',
      clarification_answers text[] NOT NULL DEFAULT '{}',
      analysis jsonb,
      github_issue_number integer,
      github_issue_url text,
      github_branch text,
      pr_number integer,
      pr_url text,
      pr_title text,
      merge_commit_sha text,
      merged_at timestamptz,
      dispatched_at timestamptz,
      completed_at timestamptz,
      error_message text,
      retry_count integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    -- Dashboard: the org's list newest-update first, keyset-paginated on (updated_at, id).
    CREATE INDEX tasks_org_updated_idx ON tasks (org_id, updated_at DESC, id DESC);
    -- "My tasks" and the creator filter.
    CREATE INDEX tasks_creator_updated_idx ON tasks (creator_id, updated_at DESC, id DESC);
    -- Status filter and per-group counts.
    CREATE INDEX tasks_org_status_idx ON tasks (org_id, status);
    CREATE INDEX tasks_status_idx ON tasks (status);
    -- Webhooks find a task by its PR or issue.
    CREATE INDEX tasks_repo_issue_idx ON tasks (repo, github_issue_number) WHERE github_issue_number IS NOT NULL;
    CREATE INDEX tasks_repo_pr_idx ON tasks (repo, pr_number) WHERE pr_number IS NOT NULL;
    CREATE UNIQUE INDEX tasks_branch_idx ON tasks (github_branch) WHERE github_branch IS NOT NULL;

    CREATE TABLE task_events (
      task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
      seq integer NOT NULL CHECK (seq >= 1),
      event_type text NOT NULL,
      payload jsonb NOT NULL,
      actor_id uuid REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz,
      PRIMARY KEY (task_id, seq)
    );
    -- The outbox sweep reads only what is still unpublished.
    CREATE INDEX task_events_unpublished_idx ON task_events (created_at) WHERE published_at IS NULL;

    CREATE TABLE webhook_deliveries (
      delivery_id text PRIMARY KEY,
      event text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      task_id uuid REFERENCES tasks(id) ON DELETE SET NULL,
      outcome text NOT NULL
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE webhook_deliveries, task_events, tasks, users, orgs`.execute(db);
}
