import { sql, type Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The GitHub repositories each org owns: only these can receive its tasks, and only their
    -- deliveries can move its tasks. One owner per repository, named case-insensitively as GitHub does.
    CREATE TABLE org_repos (
      org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
      full_name text NOT NULL CHECK (full_name ~ '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$'),
      -- The org says the repository is private on GitHub: a private task's text may go there.
      is_private boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX org_repos_full_name_key ON org_repos (lower(full_name));
    CREATE INDEX org_repos_org_idx ON org_repos (org_id, created_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE org_repos`.execute(db);
}
