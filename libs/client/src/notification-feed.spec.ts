import type { Notification } from '@taskflow/events';
import { TaskflowClient } from './client';
import { FakeGateway, fakeHttp, TASK_ID, until } from './testing/fake-gateway';

let gateway: FakeGateway;
const open: Array<{ close(): void }> = [];
const note = (n: number, readAt: string | null = null): Notification => ({
  id: `00000000-0000-4000-8000-00000000000${n}`,
  kind: 'merged',
  taskId: TASK_ID,
  taskTitle: 'T',
  seq: n,
  message: `m${n}`,
  createdAt: new Date(n * 1000).toISOString(),
  readAt,
});

beforeAll(async () => {
  gateway = await FakeGateway.start();
});
afterAll(async () => {
  await gateway.close();
});
afterEach(() => {
  for (const o of open.splice(0).reverse()) o.close();
});

it('loads on connect and on sync:required, adds live ones once, and marks read', async () => {
  let listed = [note(1)];
  const http = fakeHttp({
    '/api/notifications': () => ({ notifications: listed, unreadCount: listed.filter((n) => !n.readAt).length }),
    '/api/notifications/read': { ids: [note(2).id], unreadCount: 1 },
  });
  const client = new TaskflowClient({ url: gateway.url, http, socketOptions: { transports: ['websocket'], forceNew: true } });
  const feed = client.notifications();
  open.push(client, feed);
  const toasts: string[] = [];
  feed.onCreated((n) => toasts.push(n.id));
  await until(() => expect(gateway.sockets.length).toBeGreaterThan(0));
  await until(() => expect(http.asked.filter((p) => p === '/api/notifications').length).toBe(2));
  gateway.emitAll('notification:created', { notification: note(2), unreadCount: 2 });
  gateway.emitAll('notification:created', { notification: note(2), unreadCount: 2 });
  await until(() => expect(feed.getSnapshot().unreadCount).toBe(2));
  expect(feed.getSnapshot().notifications.map((n) => n.seq)).toEqual([2, 1]);
  expect(toasts).toEqual([note(2).id]);
  // Another tab read the first.
  gateway.emitAll('notification:read', { ids: [note(1).id], all: false, unreadCount: 1 });
  await until(() => expect(feed.getSnapshot().notifications[1]!.readAt).not.toBeNull());
  await feed.markRead({ ids: [note(2).id] });
  expect(http.asked).toContain(`/api/notifications/read {"ids":["${note(2).id}"]}`);
  expect(feed.getSnapshot().notifications[0]!.readAt).not.toBeNull();
  // Broadcasts lost while the node's subscription was down: read again.
  listed = [note(3), note(2, 'x'), note(1, 'x')];
  gateway.emitAll('sync:required', { reason: 'subscription_interrupted' });
  await until(() => expect(feed.getSnapshot().notifications.map((n) => n.seq)).toEqual([3, 2, 1]));
  expect(feed.getSnapshot().unreadCount).toBe(1);
});

it('keeps what came live while a load was on its way, and drops the answer of an older load', async () => {
  type Listed = { notifications: Notification[]; unreadCount: number };
  const answer: Array<(listed: Listed) => void> = [];
  const http = fakeHttp({ '/api/notifications': () => new Promise<Listed>((r) => answer.push(r)) });
  const client = new TaskflowClient({ url: gateway.url, http, socketOptions: { transports: ['websocket'], forceNew: true } });
  const feed = client.notifications();
  open.push(client, feed);
  // The first load, and the one on connect: both on their way.
  await until(() => expect(answer).toHaveLength(2));
  gateway.emitAll('notification:created', { notification: note(2), unreadCount: 2 });
  await until(() => expect(feed.getSnapshot().notifications.map((n) => n.seq)).toEqual([2]));
  // Read at the server before notification 2 existed.
  answer[1]!({ notifications: [note(1)], unreadCount: 1 });
  await until(() => expect(feed.getSnapshot().loaded).toBe(true));
  expect(feed.getSnapshot().notifications.map((n) => n.seq)).toEqual([2, 1]);
  expect(feed.getSnapshot().unreadCount).toBe(2);
  // The older load answers last, with less: dropped.
  answer[0]!({ notifications: [], unreadCount: 0 });
  await new Promise((r) => setTimeout(r, 50));
  expect(feed.getSnapshot().notifications.map((n) => n.seq)).toEqual([2, 1]);
  expect(feed.getSnapshot().unreadCount).toBe(2);
});

it('writes nothing once closed: a markRead answered after close leaves the state alone', async () => {
  let answer!: (v: { ids: string[]; unreadCount: number }) => void;
  const http = fakeHttp({
    '/api/notifications': { notifications: [note(1)], unreadCount: 1 },
    '/api/notifications/read': () => new Promise((r) => (answer = r)),
  });
  const client = new TaskflowClient({ url: gateway.url, http, socketOptions: { transports: ['websocket'], forceNew: true } });
  const feed = client.notifications();
  open.push(client, feed);
  await until(() => expect(feed.getSnapshot().unreadCount).toBe(1));
  const marking = feed.markRead({ all: true });
  await until(() => expect(answer).toBeDefined());
  feed.close();
  const before = feed.getSnapshot();
  answer({ ids: [note(1).id], unreadCount: 0 });
  await marking;
  expect(feed.getSnapshot()).toBe(before);
});
