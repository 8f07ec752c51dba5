import { createTestDatabase, type TestDatabase } from '@taskflow/testing';
import { createDb, type Db } from './db';
import {
  decideLive,
  listRolloutAudit,
  liveDecision,
  liveDecisions,
  readLiveRollout,
  rolloutBucket,
  setLiveRollout,
  setOrgLiveOverride,
  setUserLiveOverride,
} from './live-rollout';
import { migrateToLatest } from './migrate';
import { createOrg, createUser } from './users';

/** Who gets live updates (migration 0010): the decision's precedence, its stable hash, and the audit of every change. */
let database: TestDatabase;
let db: Db;
let orgId: string;
let otherOrgId: string;
let actor: { id: string; username: string };
const users: string[] = [];
/** sha256('live-rollout:' + id), first 4 bytes, mod 100, for the id below. */
const PINNED_BUCKET = 57;

beforeAll(async () => {
  database = await createTestDatabase('rollout');
  db = createDb(database.url, { max: 4 });
  await migrateToLatest(db);
  orgId = (await createOrg(db, 'acme', 'Acme')).id;
  otherOrgId = (await createOrg(db, 'globex', 'Globex')).id;
  const ops = await createUser(db, { orgId, username: 'ops', name: 'Ops', password: 'pw-0123456789', role: 'operator' });
  actor = { id: ops.id, username: ops.username };
  // Many users without hashing a password each: only their ids and orgs matter here.
  const rows = await db
    .insertInto('users')
    .values(
      Array.from({ length: 40 }, (_, i) => ({ orgId: i % 2 ? orgId : otherOrgId, username: `u${i}`, name: `U${i}`, passwordHash: '-' })),
    )
    .returning('id')
    .execute();
  users.push(...rows.map((r) => r.id));
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

it('keeps every user live by default (100 %, switch on): the migration changes nothing for a running cluster', async () => {
  expect(await readLiveRollout(db)).toEqual({ enabled: true, percent: 100 });
  expect([...(await liveDecisions(db, users)).values()].every((d) => d.live && d.reason === 'percentage')).toBe(true);
});

it('puts a user in the same bucket every time, and raising the percentage only adds users', () => {
  const id = '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
  // Pinned: a change of the hash would move users between live and polling on upgrade.
  expect(rolloutBucket(id)).toBe(PINNED_BUCKET);
  const buckets = users.map(rolloutBucket);
  expect(buckets.every((b) => Number.isInteger(b) && b >= 0 && b < 100)).toBe(true);
  // Spread: 40 ids do not all land in a few buckets.
  expect(new Set(buckets).size).toBeGreaterThan(20);
  const liveAt = (percent: number) =>
    new Set(users.filter((u) => decideLive({ enabled: true, percent }, { userId: u, userLive: null, orgLive: null }).live));
  const [ten, fifty, all] = [liveAt(10), liveAt(50), liveAt(100)];
  expect(liveAt(0).size).toBe(0);
  expect(all.size).toBe(users.length);
  for (const u of ten) expect(fifty.has(u)).toBe(true);
  expect(fifty.size).toBeGreaterThan(ten.size);
});

it('decides by precedence: kill switch > user opt-out > user opt-in > org override > percentage', () => {
  const u = users[0]!;
  const d = (enabled: boolean, percent: number, userLive: boolean | null, orgLive: boolean | null) =>
    decideLive({ enabled, percent }, { userId: u, userLive, orgLive });
  expect(d(false, 100, true, true)).toEqual({ live: false, reason: 'kill-switch' });
  expect(d(true, 100, false, true)).toEqual({ live: false, reason: 'user-opt-out' });
  expect(d(true, 0, true, false)).toEqual({ live: true, reason: 'user-opt-in' });
  expect(d(true, 100, null, false)).toEqual({ live: false, reason: 'org-off' });
  expect(d(true, 0, null, true)).toEqual({ live: true, reason: 'org-on' });
  expect(d(true, 0, null, null)).toEqual({ live: false, reason: 'percentage' });
  expect(d(true, 100, null, null)).toEqual({ live: true, reason: 'percentage' });
});

it('stores each change, applies it to the decision read from PostgreSQL, and audits who, what, old → new', async () => {
  const [inOrg, other] = [users[1]!, users[0]!];
  expect(await setLiveRollout(db, actor, { percent: 0 })).toEqual([
    { setting: 'percent', orgId: null, subjectId: null, oldValue: '100', newValue: '0' },
  ]);
  expect(await liveDecision(db, inOrg)).toEqual({ live: false, reason: 'percentage' });
  await setOrgLiveOverride(db, actor, orgId, true);
  expect(await liveDecision(db, inOrg)).toEqual({ live: true, reason: 'org-on' });
  expect(await liveDecision(db, other)).toEqual({ live: false, reason: 'percentage' });
  await setUserLiveOverride(db, actor, inOrg, false);
  expect(await liveDecision(db, inOrg)).toEqual({ live: false, reason: 'user-opt-out' });
  await setUserLiveOverride(db, actor, other, true);
  expect(await liveDecision(db, other)).toEqual({ live: true, reason: 'user-opt-in' });
  await setLiveRollout(db, actor, { enabled: false });
  expect(await liveDecision(db, other)).toEqual({ live: false, reason: 'kill-switch' });
  // Setting a value it already has changes and audits nothing.
  expect(await setLiveRollout(db, actor, { enabled: false, percent: 0 })).toEqual([]);
  expect(await setUserLiveOverride(db, actor, other, true)).toEqual([]);
  // Back to inherit removes the override.
  await setUserLiveOverride(db, actor, inOrg, null);
  await setOrgLiveOverride(db, actor, orgId, null);
  await setLiveRollout(db, actor, { enabled: true, percent: 100 });
  expect(await liveDecision(db, inOrg)).toEqual({ live: true, reason: 'percentage' });

  const audit = (await listRolloutAudit(db, {}, 50)).reverse();
  expect(audit.map((a) => [a.actorUsername, a.setting, a.orgId, a.subjectId, a.oldValue, a.newValue])).toEqual([
    ['ops', 'percent', null, null, '100', '0'],
    ['ops', 'org', orgId, orgId, 'inherit', 'on'],
    ['ops', 'user', orgId, inOrg, 'inherit', 'out'],
    ['ops', 'user', otherOrgId, other, 'inherit', 'in'],
    ['ops', 'enabled', null, null, 'true', 'false'],
    ['ops', 'user', orgId, inOrg, 'out', 'inherit'],
    ['ops', 'org', orgId, orgId, 'on', 'inherit'],
    ['ops', 'enabled', null, null, 'false', 'true'],
    ['ops', 'percent', null, null, '0', '100'],
  ]);
  expect(audit.every((a) => a.at instanceof Date && Date.now() - a.at.getTime() < 60_000)).toBe(true);
  // An org's audit: its override and its users' changes only.
  expect((await listRolloutAudit(db, { orgId: otherOrgId }, 50)).map((a) => a.subjectId)).toEqual([other]);
});

it('answers undefined for an org or user that does not exist, and audits nothing', async () => {
  const before = (await listRolloutAudit(db, {}, 100)).length;
  expect(await setOrgLiveOverride(db, actor, '00000000-0000-4000-8000-000000000000', false)).toBeUndefined();
  expect(await setUserLiveOverride(db, actor, '00000000-0000-4000-8000-000000000000', false)).toBeUndefined();
  expect((await listRolloutAudit(db, {}, 100)).length).toBe(before);
  // The database refuses a percentage out of range even if a caller skipped the schema.
  await expect(setLiveRollout(db, actor, { percent: 101 })).rejects.toThrow(/check/i);
});
