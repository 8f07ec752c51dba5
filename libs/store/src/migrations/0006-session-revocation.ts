import { sql, type Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Bearer tokens carry the user's token_version (claim "ver"); bumping it revokes every token issued before
    -- ("sign out everywhere", disabling the account). Nodes compare it through a short cache (TOKEN_VERSION_CACHE_MS).
    ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
    -- Set by an admin: the account can neither log in nor use a session or token it already has.
    ALTER TABLE users ADD COLUMN disabled_at timestamptz;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE users DROP COLUMN disabled_at;
    ALTER TABLE users DROP COLUMN token_version;
  `.execute(db);
}
