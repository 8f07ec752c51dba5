import { sql, type Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Who gets live updates (issue 21, specification 14.2). One row of cluster-wide settings: the kill switch and
    -- the percentage of users (by a stable hash of their id). Defaults keep every user live, as before.
    CREATE TABLE live_rollout (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      enabled boolean NOT NULL DEFAULT true,
      percent integer NOT NULL DEFAULT 100 CHECK (percent BETWEEN 0 AND 100),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO live_rollout DEFAULT VALUES;

    -- An org forced on or off (no row: it follows the percentage).
    CREATE TABLE org_live_overrides (
      org_id uuid PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
      live boolean NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    -- A user opted in (true) or out (false); no row: their org's override, else the percentage.
    CREATE TABLE user_live_overrides (
      user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      live boolean NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    -- Every change, by whom: kept when the actor or subject is deleted (ids are then dangling, names stay).
    CREATE TABLE live_rollout_audit (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_id uuid,
      actor_username text NOT NULL,
      setting text NOT NULL CHECK (setting IN ('enabled', 'percent', 'org', 'user')),
      org_id uuid,
      subject_id uuid,
      old_value text NOT NULL,
      new_value text NOT NULL
    );
    CREATE INDEX live_rollout_audit_org_idx ON live_rollout_audit (org_id, id DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE live_rollout_audit;
    DROP TABLE user_live_overrides;
    DROP TABLE org_live_overrides;
    DROP TABLE live_rollout;
  `.execute(db);
}
