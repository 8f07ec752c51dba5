import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './db';
import type { Executor } from './task-record';

/**
 * Who gets live updates (specification 14.2; docs/operations.md "Rolling out live updates"). First rule that
 * applies wins:
 *   1. the kill switch (`enabled` false): nobody;
 *   2. the user opted out: polling;
 *   3. the user opted in: live;
 *   4. their org forced off / on;
 *   5. the percentage: live when the user's bucket (a stable hash of their id, 0–99) is below it.
 * (The deployment's FEATURE_WEBSOCKET_ENABLED=false is above all of these: no gateway at all.)
 */
export interface LiveRolloutSettings {
  enabled: boolean;
  percent: number;
}

export type LiveReason = 'kill-switch' | 'user-opt-out' | 'user-opt-in' | 'org-off' | 'org-on' | 'percentage';
export interface LiveDecision {
  live: boolean;
  reason: LiveReason;
}

export interface LiveSubject {
  userId: string;
  /** The user's own opt-in (true) / opt-out (false), null when they follow their org. */
  userLive: boolean | null;
  /** Their org's override, null when it follows the percentage. */
  orgLive: boolean | null;
}

/**
 * The user's rollout bucket, 0–99: the same for the same id on every node and after every restart, so raising the
 * percentage only ever adds users (10 % → 50 % keeps the first 10 % live).
 */
export function rolloutBucket(userId: string): number {
  return createHash('sha256').update(`live-rollout:${userId}`).digest().readUInt32BE(0) % 100;
}

export function decideLive(settings: LiveRolloutSettings, subject: LiveSubject): LiveDecision {
  if (!settings.enabled) return { live: false, reason: 'kill-switch' };
  if (subject.userLive === false) return { live: false, reason: 'user-opt-out' };
  if (subject.userLive === true) return { live: true, reason: 'user-opt-in' };
  if (subject.orgLive === false) return { live: false, reason: 'org-off' };
  if (subject.orgLive === true) return { live: true, reason: 'org-on' };
  return { live: rolloutBucket(subject.userId) < settings.percent, reason: 'percentage' };
}

export async function readLiveRollout(db: Executor): Promise<LiveRolloutSettings> {
  return db.selectFrom('liveRollout').select(['enabled', 'percent']).executeTakeFirstOrThrow();
}

/** Each known user's decision (unknown ids are left out): settings and overrides in one query (one per handshake). */
export async function liveDecisions(db: Db, userIds: readonly string[]): Promise<Map<string, LiveDecision>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('users')
    .innerJoin('liveRollout as r', (j) => j.onTrue())
    .leftJoin('userLiveOverrides as u', 'u.userId', 'users.id')
    .leftJoin('orgLiveOverrides as o', 'o.orgId', 'users.orgId')
    .select(['users.id as userId', 'r.enabled', 'r.percent', 'u.live as userLive', 'o.live as orgLive'])
    .where('users.id', 'in', [...userIds])
    .execute();
  return new Map(rows.map((r) => [r.userId, decideLive(r, r)]));
}

/** One user's decision; an unknown user is not live. */
export async function liveDecision(db: Db, userId: string): Promise<LiveDecision> {
  return (await liveDecisions(db, [userId])).get(userId) ?? { live: false, reason: 'kill-switch' };
}

/**
 * The whole rollout (settings and every override) as one node keeps it in memory, so a handshake or a
 * `/api/config` poll decides without a query. Overrides are set by hand, one user or org at a time: small tables.
 */
export interface LiveRolloutSnapshot {
  /** Changes whenever anything below does (readLiveRolloutVersion). */
  version: string;
  settings: LiveRolloutSettings;
  orgs: ReadonlyMap<string, boolean>;
  users: ReadonlyMap<string, boolean>;
}

/**
 * A cheap fingerprint of the rollout: the settings' time, the latest audit id (every change is audited) and each
 * override table's count and latest time (so even a row written or deleted without an audit shows). One statement.
 */
export async function readLiveRolloutVersion(db: Executor): Promise<string> {
  const { rows } = await sql<{ v: string }>`
    select concat_ws(':',
      (select extract(epoch from updated_at)::text from live_rollout),
      (select coalesce(max(id)::text, '0') from live_rollout_audit),
      (select count(*)::text || '@' || coalesce(extract(epoch from max(updated_at))::text, '') from org_live_overrides),
      (select count(*)::text || '@' || coalesce(extract(epoch from max(updated_at))::text, '') from user_live_overrides)
    ) as v`.execute(db);
  return rows[0]!.v;
}

/** Reads the snapshot; its version is read first, so a change landing meanwhile is seen again by the next refresh. */
export async function readLiveRolloutSnapshot(db: Executor): Promise<LiveRolloutSnapshot> {
  const version = await readLiveRolloutVersion(db);
  const [settings, orgs, users] = await Promise.all([
    readLiveRollout(db),
    db.selectFrom('orgLiveOverrides').select(['orgId', 'live']).execute(),
    db.selectFrom('userLiveOverrides').select(['userId', 'live']).execute(),
  ]);
  return {
    version,
    settings: { enabled: settings.enabled, percent: settings.percent },
    orgs: new Map(orgs.map((o) => [o.orgId, o.live])),
    users: new Map(users.map((u) => [u.userId, u.live])),
  };
}

/** A signed-in user's decision from a snapshot (synchronous: no query). */
export function decideFromSnapshot(snapshot: LiveRolloutSnapshot, user: { id: string; orgId: string }): LiveDecision {
  return decideLive(snapshot.settings, {
    userId: user.id,
    userLive: snapshot.users.get(user.id) ?? null,
    orgLive: snapshot.orgs.get(user.orgId) ?? null,
  });
}

export interface RolloutActor {
  id: string;
  username: string;
}

export type RolloutSetting = 'enabled' | 'percent' | 'org' | 'user';
export interface RolloutChange {
  setting: RolloutSetting;
  orgId: string | null;
  subjectId: string | null;
  oldValue: string;
  newValue: string;
}

/** How an override reads in the audit and the API: an org's `on`/`off`, a user's `in`/`out`; `inherit` when absent. */
const overrideText = (live: boolean | null | undefined, on: string, off: string) => (live == null ? 'inherit' : live ? on : off);

async function audit(trx: Executor, actor: RolloutActor, change: RolloutChange): Promise<void> {
  await trx
    .insertInto('liveRolloutAudit')
    .values({ actorId: actor.id, actorUsername: actor.username, ...change })
    .execute();
}

/** Sets the kill switch and/or the percentage; audits each value that changed. Returns the changes. */
export async function setLiveRollout(db: Db, actor: RolloutActor, next: Partial<LiveRolloutSettings>): Promise<RolloutChange[]> {
  return db.transaction().execute(async (trx) => {
    const old = await trx.selectFrom('liveRollout').select(['enabled', 'percent']).forUpdate().executeTakeFirstOrThrow();
    const changes: RolloutChange[] = [];
    for (const setting of ['enabled', 'percent'] as const) {
      const value = next[setting];
      if (value === undefined || value === old[setting]) continue;
      changes.push({ setting, orgId: null, subjectId: null, oldValue: String(old[setting]), newValue: String(value) });
    }
    if (changes.length === 0) return changes;
    await trx
      .updateTable('liveRollout')
      .set({ ...next, updatedAt: new Date() })
      .execute();
    for (const c of changes) await audit(trx, actor, c);
    return changes;
  });
}

/** Forces an org live (true), polling (false), or back to the percentage (null). Undefined when the org does not exist. */
export async function setOrgLiveOverride(
  db: Db,
  actor: RolloutActor,
  orgId: string,
  live: boolean | null,
): Promise<RolloutChange[] | undefined> {
  return db.transaction().execute(async (trx) => {
    const org = await trx
      .selectFrom('orgs')
      .leftJoin('orgLiveOverrides as o', 'o.orgId', 'orgs.id')
      .select(['orgs.id', 'o.live'])
      .where('orgs.id', '=', orgId)
      .forUpdate('orgs')
      .executeTakeFirst();
    if (!org) return undefined;
    const [oldValue, newValue] = [overrideText(org.live, 'on', 'off'), overrideText(live, 'on', 'off')];
    if (oldValue === newValue) return [];
    if (live === null) await trx.deleteFrom('orgLiveOverrides').where('orgId', '=', orgId).execute();
    else
      await trx
        .insertInto('orgLiveOverrides')
        .values({ orgId, live })
        .onConflict((oc) => oc.column('orgId').doUpdateSet({ live, updatedAt: new Date() }))
        .execute();
    const change: RolloutChange = { setting: 'org', orgId, subjectId: orgId, oldValue, newValue };
    await audit(trx, actor, change);
    return [change];
  });
}

/** Opts a user in (true), out (false), or back to their org's rule (null). Undefined when the user does not exist. */
export async function setUserLiveOverride(
  db: Db,
  actor: RolloutActor,
  userId: string,
  live: boolean | null,
): Promise<RolloutChange[] | undefined> {
  return db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .leftJoin('userLiveOverrides as u', 'u.userId', 'users.id')
      .select(['users.id', 'users.orgId', 'u.live'])
      .where('users.id', '=', userId)
      .forUpdate('users')
      .executeTakeFirst();
    if (!user) return undefined;
    const [oldValue, newValue] = [overrideText(user.live, 'in', 'out'), overrideText(live, 'in', 'out')];
    if (oldValue === newValue) return [];
    if (live === null) await trx.deleteFrom('userLiveOverrides').where('userId', '=', userId).execute();
    else
      await trx
        .insertInto('userLiveOverrides')
        .values({ userId, live })
        .onConflict((oc) => oc.column('userId').doUpdateSet({ live, updatedAt: new Date() }))
        .execute();
    const change: RolloutChange = { setting: 'user', orgId: user.orgId, subjectId: userId, oldValue, newValue };
    await audit(trx, actor, change);
    return [change];
  });
}

export interface RolloutAuditEntry extends RolloutChange {
  id: string;
  at: Date;
  actorUsername: string;
}

/** The latest changes, newest first: every one, or an org's (its override and its users'). */
export async function listRolloutAudit(db: Executor, scope: { orgId?: string }, limit: number): Promise<RolloutAuditEntry[]> {
  let q = db
    .selectFrom('liveRolloutAudit')
    .select(['id', 'at', 'actorUsername', 'setting', 'orgId', 'subjectId', 'oldValue', 'newValue'])
    .orderBy('id', 'desc')
    .limit(limit);
  if (scope.orgId !== undefined) q = q.where('orgId', '=', scope.orgId);
  return q.execute();
}

export interface RolloutUser {
  id: string;
  username: string;
  orgId: string;
  /** `in`, `out` or `inherit`. */
  override: 'in' | 'out' | 'inherit';
  decision: LiveDecision;
}

export interface RolloutOrg {
  id: string;
  slug: string;
  override: 'on' | 'off' | 'inherit';
}

/** The users (of an org, or all) with their override and decision, by username; at most `limit`. */
export async function listRolloutUsers(db: Executor, scope: { orgId?: string }, limit: number): Promise<RolloutUser[]> {
  let q = db
    .selectFrom('users')
    .leftJoin('userLiveOverrides as u', 'u.userId', 'users.id')
    .leftJoin('orgLiveOverrides as o', 'o.orgId', 'users.orgId')
    .select(['users.id', 'users.username', 'users.orgId', 'u.live as userLive', 'o.live as orgLive'])
    .orderBy('users.username')
    .limit(limit);
  if (scope.orgId !== undefined) q = q.where('users.orgId', '=', scope.orgId);
  const [settings, rows] = await Promise.all([readLiveRollout(db), q.execute()]);
  return rows.map((r) => ({
    id: r.id,
    username: r.username,
    orgId: r.orgId,
    override: overrideText(r.userLive, 'in', 'out') as RolloutUser['override'],
    decision: decideLive(settings, { userId: r.id, userLive: r.userLive, orgLive: r.orgLive }),
  }));
}

/** The orgs (one, or all) with their override, by slug. */
export async function listRolloutOrgs(db: Executor, scope: { orgId?: string }): Promise<RolloutOrg[]> {
  let q = db
    .selectFrom('orgs')
    .leftJoin('orgLiveOverrides as o', 'o.orgId', 'orgs.id')
    .select(['orgs.id', 'orgs.slug', 'o.live'])
    .orderBy('orgs.slug');
  if (scope.orgId !== undefined) q = q.where('orgs.id', '=', scope.orgId);
  return (await q.execute()).map((r) => ({
    id: r.id,
    slug: r.slug,
    override: overrideText(r.live, 'on', 'off') as RolloutOrg['override'],
  }));
}
