import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Server } from 'socket.io';
import { setUserLiveOverride } from '@taskflow/store';
import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import { eventually, openSocket, type TestSocket } from '@taskflow/testing';
import type { TaskflowServer } from '../realtime/transport/socket-types';
import { LiveSwitch } from './live-switch';

/**
 * The race between a handshake and a rollout change on one node: the handshake passed the live gate on the old
 * rollout, the change's re-check listed the node's sockets before this one connected. Real PostgreSQL, Redis and
 * Socket.IO; a middleware after the gate holds the handshake open so the change lands in between every time.
 */
jest.setTimeout(60_000);

let f: StoreFixture;
let app: FastifyInstance;
let live: LiveSwitch;
let url: string;
let socket: TestSocket | undefined;
let releaseHandshake: () => void = () => undefined;
const held = new Promise<void>((r) => (releaseHandshake = r));
let reachedHold: () => void = () => undefined;
const atHold = new Promise<void>((r) => (reachedHold = r));

beforeAll(async () => {
  f = await createStoreFixture();
  app = Fastify();
  const io: TaskflowServer = new Server(app.server);
  app.decorate('io', io);
  app.addHook('onClose', async () => void (await io.close()));
  live = new LiveSwitch({
    db: f.db,
    redis: { mode: 'single', url: process.env.TEST_REDIS_URL! },
    keyPrefix: `t${Date.now()}`,
    logger: pino({ level: 'silent' }),
  });
  // As the session guard names the user.
  io.use((s, next) => {
    s.data.user = { id: f.users.bob.id, orgId: f.users.bob.orgId, username: 'bob', name: 'Bob' };
    next();
  });
  io.use(live.middleware);
  io.use((_s, next) => {
    reachedHold();
    void held.then(() => next());
  });
  live.attach(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  socket?.close();
  await app?.close();
  await f?.close();
});

it('decides a handshake again when it connects after a change it was decided before', async () => {
  const opening = openSocket(url, {});
  // The gate let bob in (the rollout says live); his handshake is not a socket of the namespace yet.
  await atHold;
  await setUserLiveOverride(f.db, { id: f.users.alice.id, username: 'alice' }, f.users.bob.id, false);
  // The change's re-check runs now and finds no socket of bob's (one node: Socket.IO's in-memory adapter warns
  // that it has no other node to tell).
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    expect(await live.changed()).toBe(0);
  } finally {
    warn.mockRestore();
  }
  releaseHandshake();
  socket = await opening;
  // Connected on the old decision: told at once, and closed.
  const told = await socket.waitFor((e) => e.event === 'live:off', "bob's live:off", 5000);
  expect(told.payload).toEqual({ reason: 'rollout' });
  await eventually('bob disconnected', async () => (socket!.socket.disconnected ? true : undefined), 5000);
});
