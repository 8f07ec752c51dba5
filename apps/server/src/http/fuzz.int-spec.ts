import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { CLIENT_MESSAGES } from '@taskflow/events';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { openSocket, type TestSocket } from '@taskflow/testing';
import { ServerEnvSchema } from '../config';
import { anyJson, valueArbitrary, type JsonSchema, type SchemaArbitraryOptions } from '../testing/schema-arbitrary';
import { startTestApp, TEST_WEBHOOK_SECRET, type TestApp } from '../testing/test-app';

/**
 * Bad input gets a 4xx, never a 5xx: every REST route (read from the router and its OpenAPI description, so a
 * route added later is fuzzed too, and one without a schema fails) and every socket message (from the contract's
 * schemas) is sent values generated from its schema, at and past every bound. Any 5xx, INTERNAL ack or
 * error-level log line fails, and fast-check shrinks the batch to the request that caused it.
 */
const REST_BATCHES = 50;
const FRAME_BATCHES = 184;
const BATCH = 24;
// Frames are answered in ~10 ms, requests in ~65 ms (logins wait for scrypt): most of the 10,000 are frames.
const FRAME_BATCH = 48;
// Measured on a busy 2-core machine: REST 85 s, frames 41 s, setup up to 32 s; 3x the longest test.
jest.setTimeout(270_000);

type User = 'alice' | 'bob' | 'carol';
const USERS: User[] = ['alice', 'bob', 'carol'];

let t: TestApp;
let url: string;
let options: SchemaArbitraryOptions;
const tokens = new Map<User, string>();
const statuses = new Map<string, number>();
const acks = new Map<string, number>();
const counts = { requests: 0, frames: 0, relogins: 0, reconnects: 0 };
const slowest = new Map<string, number>();
const count = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
const errorLines = () => t.logs().filter((l) => l.level >= 50);

// Every per-user, per-address and per-socket budget of the config (present and future ones), raised so that 429s do
// not hide the validation behind them; a 429 still counts as an answer.
const LIMIT_KEY =
  /PER_MINUTE|RATE_PER|PER_USER|PER_ADDRESS|PER_SOCKET|MAX_FAILURES|CHECKS_PER|CHECK_QUEUE|IN_FLIGHT|CONNECTS_PER|MAX_SOCKETS/;
const raisedLimits = Object.fromEntries(
  Object.entries(ServerEnvSchema.properties as Record<string, JsonSchema>)
    .filter(([key, s]) => LIMIT_KEY.test(key) && (s.type === 'integer' || s.type === 'number'))
    .map(([key, s]) => [key, String(Math.min((s.maximum as number | undefined) ?? 1_000_000, 1_000_000))]),
);

async function login(user: User): Promise<void> {
  const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user, password: FIXTURE_PASSWORD } });
  expect(res.statusCode).toBe(200);
  tokens.set(user, res.json<{ token: string }>().token);
}

beforeAll(async () => {
  t = await startTestApp({ ...raisedLimits, LOGIN_CHECK_CONCURRENCY: '8' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const tasks = await Promise.all([
    t.f.newTask(t.f.users.alice),
    t.f.newTask(t.f.users.alice, { isPrivate: true }),
    t.f.newTask(t.f.users.bob),
    t.f.newTask(t.f.users.carol),
  ]);
  options = { knownIds: tasks.map(({ task }) => task.id) };
  for (const user of USERS) await login(user);
});
afterAll(async () => {
  process.stdout.write(
    `fuzz: ${JSON.stringify({ ...counts, total: counts.requests + counts.frames, statuses: Object.fromEntries([...statuses].sort()), acks: Object.fromEntries([...acks].sort()), slowestMs: Object.fromEntries([...slowest].sort((a, b) => b[1] - a[1]).slice(0, 5)) })}\n`,
  );
  await t?.close();
});

/** What a route declares about its input (TypeBox schemas, as registered). */
interface RouteSchema {
  params?: JsonSchema;
  querystring?: JsonSchema;
  body?: JsonSchema;
}

interface FuzzRequest {
  route: string;
  inject: InjectOptions;
  user?: User;
}

/** A path segment, percent-encoded; a lone surrogate (no UTF-8 for it) goes as the bytes of one, which is no UTF-8 either. */
const pathSegment = (v: string) => {
  try {
    return encodeURIComponent(v);
  } catch {
    return '%ED%A0%80';
  }
};

/** Query values as text, the way a URL carries them (arrays repeat the key). */
function appendQuery(params: URLSearchParams, name: string, value: unknown): void {
  if (value === undefined) return;
  if (Array.isArray(value)) for (const v of value) appendQuery(params, name, v);
  else params.append(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
}

const RAW_BODIES = [
  '{',
  'null',
  '[]',
  '"x"',
  '1e999',
  '{"a":1,"a":2}',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{}}}',
  '\u0000',
  '[['.repeat(500),
];
const githubEvents = fc.constantFrom(
  'ping',
  'pull_request',
  'issue_comment',
  'pull_request_review',
  'push',
  'check_run',
  '',
  'x'.repeat(200),
);

/** One route's requests: its parameters and body from their schemas, each as a user, anonymously or with a bad token. */
function routeArbitrary(method: string, path: string, schema: RouteSchema): fc.Arbitrary<FuzzRequest> {
  const props = (s: JsonSchema | undefined) => Object.entries((s?.properties ?? {}) as Record<string, JsonSchema>);
  const text = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
  const pathArb = fc.record(Object.fromEntries(props(schema.params).map(([name, s]) => [name, valueArbitrary(s, options).map(text)])));
  const queryArb = fc.record(Object.fromEntries(props(schema.querystring).map(([name, s]) => [name, valueArbitrary(s, options)])), {
    requiredKeys: [],
  });
  const extraQuery = fc.option(fc.tuple(fc.constantFrom('extra', 'limit', '__proto__', 'cursor', 'q[]', ''), anyJson), {
    freq: 4,
    nil: undefined,
  });
  const body = schema.body
    ? fc.oneof(
        { weight: 8, arbitrary: valueArbitrary(schema.body, options).map((v) => JSON.stringify(v) ?? 'null') },
        { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      )
    : fc.option(
        fc.oneof(
          anyJson.map((v) => JSON.stringify(v)),
          fc.constantFrom(...RAW_BODIES),
        ),
        { freq: 3, nil: undefined },
      );
  const auth = fc.constantFrom<User | 'none' | 'garbage'>('alice', 'alice', 'bob', 'carol', 'none', 'garbage');
  const contentType = fc.constantFrom(
    'application/json',
    'application/json',
    'application/json',
    'text/plain',
    'application/json; charset=latin1',
  );
  const webhook = fc.option(
    fc.record({ sign: fc.boolean(), event: githubEvents, delivery: fc.oneof(fc.uuid(), fc.constantFrom('', 'x'.repeat(101))) }),
    {
      freq: 2,
    },
  );
  return fc
    .record({ path: pathArb, query: queryArb, extraQuery, body, auth, contentType, webhook })
    .map(({ path: values, query, extraQuery: extra, body: payload, auth: who, contentType: type, webhook: hook }) => {
      const search = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) appendQuery(search, name, value);
      if (extra) appendQuery(search, extra[0], extra[1]);
      // An empty segment would be another route (or none): the router answers that, not this route's schema.
      const filled = path.replace(/:(\w+)/g, (_, name: string) => pathSegment(values[name] || '-'));
      const headers: Record<string, string> = {};
      if (who === 'garbage') headers.authorization = 'Bearer not.a.token';
      else if (who !== 'none') headers.authorization = `Bearer ${tokens.get(who)}`;
      if (payload !== undefined) headers['content-type'] = type;
      if (hook && payload !== undefined) {
        headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', hook.sign ? TEST_WEBHOOK_SECRET : 'wrong')
          .update(payload)
          .digest('hex')}`;
        headers['x-github-event'] = hook.event;
        headers['x-github-delivery'] = hook.delivery;
      }
      const query_ = search.toString();
      return {
        route: `${method} ${path}`,
        user: who === 'none' || who === 'garbage' ? undefined : who,
        inject: { method: method as InjectOptions['method'], url: `${filled}${query_ ? `?${query_}` : ''}`, headers, payload },
      };
    });
}

describe('REST: every route, from its schema', () => {
  it(`answers ${REST_BATCHES * BATCH} generated requests with no 5xx and no error log`, async () => {
    const operations: Array<fc.Arbitrary<FuzzRequest>> = [];
    const unschemed: string[] = [];
    for (const route of t.routes()) {
      const u = route.url;
      if (!(u.startsWith('/api/') || u === '/metrics') || u.startsWith('/api/docs')) continue;
      const schema = route.schema as RouteSchema | undefined;
      const pathNames = [...u.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      const described = Object.keys((schema?.params?.properties ?? {}) as object);
      for (const method of [route.method].flat().filter((m) => m !== 'HEAD')) {
        // A route without a schema, or a path parameter without one, reaches its handler unchecked.
        if (!schema || pathNames.some((n) => !described.includes(n))) unschemed.push(`${method} ${u}`);
        else operations.push(routeArbitrary(method, u, schema));
      }
    }
    expect(unschemed).toEqual([]);
    expect(operations.length).toBeGreaterThanOrEqual(25);

    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(...operations), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const errorsBefore = errorLines().length;
        const stale = new Set<User>();
        const answers = await Promise.all(
          batch.map(async (r) => {
            const started = Date.now();
            const res = await t.app.inject(r.inject);
            slowest.set(r.route, Math.max(slowest.get(r.route) ?? 0, Date.now() - started));
            counts.requests += 1;
            count(statuses, String(res.statusCode));
            if (res.statusCode === 401 && r.user && !r.route.includes('/webhooks/')) stale.add(r.user);
            return { route: r.route, url: r.inject.url, payload: r.inject.payload, status: res.statusCode, body: res.body.slice(0, 300) };
          }),
        );
        // A session ended by a fuzzed logout: log in again, so later requests still reach the handlers.
        for (const user of stale) {
          const me = await t.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${tokens.get(user)}` } });
          if (me.statusCode === 401) {
            counts.relogins += 1;
            await login(user);
          }
        }
        expect(answers.filter((a) => a.status >= 500)).toEqual([]);
        expect(errorLines().slice(errorsBefore)).toEqual([]);
      }),
      { numRuns: REST_BATCHES },
    );
    expect(counts.requests).toBeGreaterThanOrEqual(REST_BATCHES * BATCH);
  });
});

describe('Socket: every client message, from its schema', () => {
  const sockets = new Map<User, TestSocket>();
  const internal: unknown[] = [];

  async function socketOf(user: User): Promise<TestSocket> {
    const open = sockets.get(user);
    if (open?.socket.connected) return open;
    // An oversized frame ends its socket by design: open another and go on.
    if (open) {
      counts.reconnects += 1;
      open.close();
    }
    // The REST part or a fuzzed frame may have ended the user's session: log in again then.
    const s = await openSocket(url, { token: tokens.get(user) }).catch(async () => {
      counts.relogins += 1;
      await login(user);
      return openSocket(url, { token: tokens.get(user) });
    });
    s.socket.on('error' as never, (e: { code?: string }) => {
      if (e?.code === 'INTERNAL') internal.push(e);
    });
    sockets.set(user, s);
    return s;
  }
  afterAll(() => {
    for (const s of sockets.values()) s.close();
  });

  it(`answers ${FRAME_BATCHES * FRAME_BATCH} generated frames with no INTERNAL ack and no error log`, async () => {
    const names = Object.keys(CLIENT_MESSAGES) as Array<keyof typeof CLIENT_MESSAGES>;
    const contractFrame = fc
      .constantFrom(...names)
      .chain((name) => fc.tuple(fc.constant<string>(name), valueArbitrary(CLIENT_MESSAGES[name] as JsonSchema, options)));
    const strayFrame = fc.tuple(
      fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('toString', '__proto__', 'constructor', 'task:delete', 'error')),
      anyJson,
    );
    const frame = fc.record({
      user: fc.constantFrom<User>(...USERS),
      message: fc.oneof({ weight: 9, arbitrary: contractFrame }, { weight: 1, arbitrary: strayFrame }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: FRAME_BATCH, maxLength: FRAME_BATCH }), async (batch) => {
        const errorsBefore = errorLines().length;
        const answers = await Promise.all(
          batch.map(async ({ user, message: [event, payload] }) => {
            const s = await socketOf(user);
            counts.frames += 1;
            try {
              const ack = await s.requestRaw(event, payload, 15_000);
              count(acks, ack.ok ? 'ok' : (ack.error?.code ?? 'error'));
              return { event, payload, code: ack.ok ? 'ok' : ack.error?.code };
            } catch (err) {
              // No answer: the only accepted reason is a frame the server refused by closing the socket.
              count(acks, s.socket.connected ? 'no-answer' : 'disconnected');
              return { event, payload, code: s.socket.connected ? `no answer: ${(err as Error).message}` : 'disconnected' };
            }
          }),
        );
        expect(answers.filter((a) => a.code === 'INTERNAL' || a.code?.startsWith('no answer'))).toEqual([]);
        expect(internal).toEqual([]);
        expect(errorLines().slice(errorsBefore)).toEqual([]);
      }),
      { numRuns: FRAME_BATCHES },
    );
    expect(counts.frames).toBeGreaterThanOrEqual(FRAME_BATCHES * FRAME_BATCH);
    expect(counts.requests + counts.frames).toBeGreaterThanOrEqual(10_000);
  });
});
