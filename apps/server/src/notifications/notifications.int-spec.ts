import type { FastifyInstance, InjectOptions } from 'fastify';
import { transition, type PublicUserRow } from '@taskflow/store';
import { openSocket, type TestSocket } from '@taskflow/testing';
import { startTestApp, type TestApp } from '../testing/test-app';

let t: TestApp;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  t = await startTestApp();
  app = t.app;
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t.close());

type User = Pick<PublicUserRow, 'id' | 'orgId' | 'username' | 'name'>;
const tokenOf = (u: User) => app.signSession({ id: u.id, orgId: u.orgId, username: u.username, name: u.name });
function as(user: User | undefined, method: InjectOptions['method'], path: string, payload?: unknown) {
  const opts: InjectOptions = { method, url: path, headers: user ? { authorization: `Bearer ${tokenOf(user)}` } : {} };
  if (payload !== undefined) opts.payload = payload as object;
  return app.inject(opts);
}
const users = () => t.f.users;

/** A failed task of `creator`: one `failed` notification for its creator (and followers). */
async function failedTask(creator: User, opts: { isPrivate?: boolean } = {}) {
  const { task } = await t.f.newTask(creator as PublicUserRow, { isPrivate: opts.isPrivate ?? false });
  return task;
}
const fail = (taskId: string) =>
  transition(t.f.db, { taskId, from: 'received', to: 'failed', event: 'failed', patch: { errorMessage: 'boom' } });

describe('GET /api/notifications', () => {
  it('lists the user’s notifications, newest first, with the unread count', async () => {
    const task = await failedTask(users().alice);
    await fail(task.id);
    const res = await as(users().alice, 'GET', '/api/notifications');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      unreadCount: 1,
      notifications: [{ kind: 'failed', taskId: task.id, taskTitle: task.title, readAt: null }],
    });
    // Nobody else's.
    expect((await as(users().bob, 'GET', '/api/notifications')).json()).toEqual({ notifications: [], unreadCount: 0 });
  });

  it.each([
    ['no token', undefined, '/api/notifications', 401],
    ['limit 0', 'alice', '/api/notifications?limit=0', 400],
    ['limit too large', 'alice', '/api/notifications?limit=1000', 400],
    ['unknown parameter', 'alice', '/api/notifications?admin=1', 400],
  ] as const)('refuses %s', async (_case, who, path, status) => {
    const res = await as(who ? users()[who] : undefined, 'GET', path);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  });
});

describe('POST /api/notifications/read', () => {
  it('marks by id or all, pushes the new count to every tab of the user, and never touches another user’s', async () => {
    const bob = users().bob;
    const tabs: TestSocket[] = await Promise.all([1, 2].map(() => openSocket(url, { token: tokenOf(bob) })));
    try {
      for (const _ of [1, 2, 3]) await fail((await failedTask(bob)).id);
      const list = (await as(bob, 'GET', '/api/notifications')).json();
      expect(list.unreadCount).toBe(3);
      const first = list.notifications[0].id as string;

      // Alice cannot mark Bob's notification: nothing changes.
      expect((await as(users().alice, 'POST', '/api/notifications/read', { ids: [first] })).json()).toMatchObject({ ids: [] });

      const one = await as(bob, 'POST', '/api/notifications/read', { ids: [first] });
      expect(one.json()).toEqual({ ids: [first], unreadCount: 2 });
      for (const tab of tabs) {
        const pushed = await tab.waitFor((e) => e.event === 'notification:read', 'notification:read');
        expect(pushed.payload).toEqual({ ids: [first], all: false, unreadCount: 2 });
      }
      const all = await as(bob, 'POST', '/api/notifications/read', { all: true });
      expect(all.json()).toMatchObject({ unreadCount: 0 });
      expect(all.json().ids).toHaveLength(2);
      await tabs[1]!.waitFor((e) => e.event === 'notification:read' && e.payload.all === true, 'read all');
      expect((await as(bob, 'GET', '/api/notifications?unread=true')).json()).toEqual({ notifications: [], unreadCount: 0 });
    } finally {
      for (const tab of tabs) tab.close();
    }
  });

  it.each([
    ['an empty body', {}],
    ['no ids', { ids: [] }],
    ['a non-uuid id', { ids: ['nope'] }],
    ['duplicate ids', { ids: ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001'] }],
    ['all: false', { all: false }],
    ['ids and all together', { ids: ['00000000-0000-4000-8000-000000000001'], all: true }],
    ['an unknown field', { all: true, everyone: true }],
  ])('answers 400 to %s and changes nothing', async (_case, body) => {
    const task = await failedTask(users().alice);
    await fail(task.id);
    const before = (await as(users().alice, 'GET', '/api/notifications')).json().unreadCount;
    const res = await as(users().alice, 'POST', '/api/notifications/read', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual(expect.any(String));
    expect((await as(users().alice, 'GET', '/api/notifications')).json().unreadCount).toBe(before);
  });

  it('answers 401 without a token', async () => {
    expect((await as(undefined, 'POST', '/api/notifications/read', { all: true })).statusCode).toBe(401);
  });
});

describe('notification preferences', () => {
  it('default to every kind; saved kinds decide what is written', async () => {
    const carol = users().carol;
    expect((await as(carol, 'GET', '/api/notifications/preferences')).json()).toEqual({
      kinds: ['needs_clarification', 'pr_ready', 'changes_requested', 'ci_failed', 'merged', 'failed'],
    });
    const put = await as(carol, 'PUT', '/api/notifications/preferences', { kinds: ['merged', 'pr_ready'] });
    expect(put.json()).toEqual({ kinds: ['pr_ready', 'merged'] });
    expect((await as(carol, 'GET', '/api/notifications/preferences')).json()).toEqual({ kinds: ['pr_ready', 'merged'] });
    await fail((await failedTask(carol)).id);
    expect((await as(carol, 'GET', '/api/notifications')).json().unreadCount).toBe(0);
  });

  it.each([
    ['an unknown kind', { kinds: ['everything'] }],
    ['duplicates', { kinds: ['merged', 'merged'] }],
    ['no kinds field', {}],
    ['a string', { kinds: 'merged' }],
  ])('answers 400 to %s and keeps the saved preferences', async (_case, body) => {
    const alice = users().alice;
    const before = (await as(alice, 'GET', '/api/notifications/preferences')).json();
    const res = await as(alice, 'PUT', '/api/notifications/preferences', body);
    expect(res.statusCode).toBe(400);
    expect((await as(alice, 'GET', '/api/notifications/preferences')).json()).toEqual(before);
  });
});

describe('following a task', () => {
  it('follow, read back, unfollow; a follower hears about the task', async () => {
    const { alice, bob } = users();
    const task = await failedTask(alice);
    expect((await as(bob, 'GET', `/api/tasks/${task.id}/follow`)).json()).toEqual({ following: false });
    expect((await as(bob, 'POST', `/api/tasks/${task.id}/follow`)).json()).toEqual({ following: true });
    expect((await as(bob, 'GET', `/api/tasks/${task.id}/follow`)).json()).toEqual({ following: true });
    const before = (await as(bob, 'GET', '/api/notifications')).json().unreadCount;
    await fail(task.id);
    expect((await as(bob, 'GET', '/api/notifications')).json().unreadCount).toBe(before + 1);
    expect((await as(bob, 'DELETE', `/api/tasks/${task.id}/follow`)).json()).toEqual({ following: false });
    expect((await as(bob, 'GET', `/api/tasks/${task.id}/follow`)).json()).toEqual({ following: false });
  });

  it('answers 404 for a task of another org, a private task of someone else, or no task; 400 for a bad id', async () => {
    const { alice, bob, carol } = users();
    const shared = await failedTask(alice);
    const secret = await failedTask(alice, { isPrivate: true });
    for (const [who, id] of [
      [carol, shared.id],
      [bob, secret.id],
      [bob, '00000000-0000-4000-8000-00000000dead'],
    ] as const) {
      const res = await as(who, 'POST', `/api/tasks/${id}/follow`);
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toBe('NOT_FOUND');
    }
    expect((await as(bob, 'POST', '/api/tasks/not-a-task/follow')).statusCode).toBe(400);
    expect((await as(undefined, 'POST', `/api/tasks/${shared.id}/follow`)).statusCode).toBe(401);
    const followers = await t.f.db.selectFrom('taskFollows').selectAll().where('taskId', 'in', [shared.id, secret.id]).execute();
    expect(followers).toEqual([]);
  });
});
