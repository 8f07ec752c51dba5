import { sql, type Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Full-text search over title (weighted higher) and description. Generated, so every
    -- write keeps it current without application code; 'english' stems "exporting" to "export".
    ALTER TABLE tasks ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
      setweight(to_tsvector('english', coalesce(description, '')), 'B')
    ) STORED;
    CREATE INDEX tasks_search_idx ON tasks USING gin (search_vector);
    -- A repository filter walks the keyset order (updated_at, id) of that repository only.
    CREATE INDEX tasks_repo_updated_idx ON tasks (repo, updated_at DESC, id DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX tasks_repo_updated_idx;
    DROP INDEX tasks_search_idx;
    ALTER TABLE tasks DROP COLUMN search_vector;
  `.execute(db);
}
