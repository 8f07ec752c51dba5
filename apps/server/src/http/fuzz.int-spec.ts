import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { CLIENT_MESSAGES } from '@taskflow/events';
import { createUser, setLiveRollout, setOrgLiveOverride, setUserDisabled, setUserLiveOverride } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually, openSocket, type TestSocket } from '@taskflow/testing';
import { ServerEnvSchema } from '../config';
import {
  anyJson,
  boundEdges,
  validSample,
  valueArbitrary,
  type JsonSchema,
  type SchemaArbitraryOptions,
} from '../testing/schema-arbitrary';
import { startTestApp, TEST_WEBHOOK_SECRET, type TestApp } from '../testing/test-app';

/**
 * Bad input gets a 4xx, never a 5xx: every REST route (read from the router and its OpenAPI description, so a
 * route added later is fuzzed too, and one without a schema fails) and every socket message (from the contract's
 * schemas) is sent, first, each bound edge of each field once with the other fields valid (deterministic: a bound
 * that is missed fails every run), then values generated from its schema with a fixed seed (printed, so a failure
 * reproduces). Members, an org admin and the cluster operator send them, so admin handlers run past their checks.
 * Any 5xx, INTERNAL ack or error-level log line fails, and fast-check shrinks the batch to the request that caused it.
 */
const REST_BATCHES = 50;
const FRAME_BATCHES = 184;
const BATCH = 24;
// Frames are answered in ~10 ms, requests in ~65 ms (logins wait for scrypt): most of the 10,000 are frames.
const FRAME_BATCH = 48;
// Measured on a busy 2-core machine: whole file 95 s (edge pass 23 s, REST 32 s, frames 23 s), once REST 85 s; 3x the longest.
jest.setTimeout(270_000);
// Fixed so that a failure reproduces; change it to explore other inputs.
const SEED = 20_261_206;

// An org admin (of alice's org) and the cluster operator: without them every admin route answers 404 and repository
// management 403 before validation, and their handlers never run.
type User = 'alice' | 'bob' | 'carol' | 'acme-admin' | 'ops';
const USERS: User[] = ['alice', 'bob', 'carol', 'acme-admin', 'ops'];
const userIds = new Map<User, string>();

let t: TestApp;
let url: string;
let options: SchemaArbitraryOptions;
const tokens = new Map<User, string>();
const statuses = new Map<string, number>();
const acks = new Map<string, number>();
const counts = { edgeRequests: 0, edgeFrames: 0, requests: 0, frames: 0, relogins: 0, reconnects: 0 };
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
  const attempt = () => t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user, password: FIXTURE_PASSWORD } });
  let res = await attempt();
  // An admin's fuzzed request disabled the account: enable it again, so later requests still reach the handlers.
  if (res.statusCode === 403) {
    await setUserDisabled(t.f.db, userIds.get(user)!, false);
    res = await attempt();
  }
  expect(res.statusCode).toBe(200);
  tokens.set(user, res.json<{ token: string }>().token);
}

beforeAll(async () => {
  // A rollout change written by the socket part's set-up reaches the node within a second.
  t = await startTestApp({ ...raisedLimits, LOGIN_CHECK_CONCURRENCY: '8', LIVE_ROLLOUT_REFRESH_MS: '1000' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const { alice, bob, carol } = t.f.users;
  const account = (username: string, role: 'member' | 'admin' | 'operator') =>
    createUser(t.f.db, { orgId: alice.orgId, username, name: username, password: FIXTURE_PASSWORD, role });
  // dave is whom the admin routes manage (alice's org): disabling him leaves the fuzz users signed in.
  const [admin, ops, dave] = await Promise.all([account('acme-admin', 'admin'), account('ops', 'operator'), account('dave', 'member')]);
  for (const [user, row] of [
    ['alice', alice],
    ['bob', bob],
    ['carol', carol],
    ['acme-admin', admin],
    ['ops', ops],
  ] as const)
    userIds.set(user, row.id);
  const tasks = await Promise.all([t.f.newTask(alice), t.f.newTask(alice, { isPrivate: true }), t.f.newTask(bob), t.f.newTask(carol)]);
  // The first is alice's public task: the deterministic pass's valid id, visible to alice, her org's admin and the operator.
  options = { knownIds: [...tasks.map(({ task }) => task.id), dave.id], idsByName: { userId: dave.id } };
  process.stdout.write(`fuzz: seed ${SEED}\n`);
  for (const user of USERS) await login(user);
});
afterAll(async () => {
  process.stdout.write(
    `fuzz: ${JSON.stringify({ seed: SEED, ...counts, total: counts.edgeRequests + counts.edgeFrames + counts.requests + counts.frames, statuses: Object.fromEntries([...statuses].sort()), acks: Object.fromEntries([...acks].sort()), slowestMs: Object.fromEntries([...slowest].sort((a, b) => b[1] - a[1]).slice(0, 5)) })}\n`,
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

interface RequestParts {
  values: Record<string, unknown>;
  query: Record<string, unknown>;
  extra?: [string, unknown];
  payload?: string;
  who: User | 'none' | 'garbage';
  type: string;
  hook?: { sign: boolean; event: string; delivery: string } | null;
}

const text = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

function buildRequest(method: string, path: string, parts: RequestParts): FuzzRequest {
  const { values, query, extra, payload, who, type, hook } = parts;
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) appendQuery(search, name, value);
  if (extra) appendQuery(search, extra[0], extra[1]);
  // An empty segment would be another route (or none): the router answers that, not this route's schema.
  const filled = path.replace(/:(\w+)/g, (_, name: string) => pathSegment(text(values[name] ?? '') || '-'));
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
}

const props = (s: JsonSchema | undefined) => Object.entries((s?.properties ?? {}) as Record<string, JsonSchema>);

/**
 * One route's deterministic requests: all valid, then each parameter and body field at each of its bound edges with
 * the rest valid (the known visible task as id), from the users its handler serves (admins for admin routes).
 */
function edgeRequests(method: string, path: string, schema: RouteSchema): FuzzRequest[] {
  const users: User[] = path.startsWith('/api/admin/') ? ['ops', 'acme-admin'] : path.startsWith('/api/repos') ? ['acme-admin'] : ['alice'];
  const values = Object.fromEntries(props(schema.params).map(([name, s]) => [name, validSample(s, options, name)]));
  const query = (schema.querystring ? validSample(schema.querystring, options) : {}) as Record<string, unknown>;
  const body = schema.body ? validSample(schema.body, options) : undefined;
  const variants: Array<Pick<RequestParts, 'values' | 'query'> & { body: unknown }> = [{ values, query, body }];
  for (const [name, s] of props(schema.params))
    for (const edge of boundEdges(s, options, name)) variants.push({ values: { ...values, [name]: edge }, query, body });
  for (const [name, s] of props(schema.querystring))
    for (const edge of boundEdges(s, options, name)) variants.push({ values, query: { ...query, [name]: edge }, body });
  if (schema.body) for (const edge of boundEdges(schema.body, options)) variants.push({ values, query, body: edge });
  const webhook = path.includes('/webhooks/');
  return users.flatMap((who) =>
    variants.map((v, i) =>
      buildRequest(method, path, {
        values: v.values,
        query: v.query,
        payload: v.body === undefined ? undefined : JSON.stringify(v.body),
        who,
        type: 'application/json',
        hook: webhook ? { sign: true, event: 'pull_request', delivery: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` } : null,
      }),
    ),
  );
}

/** One route's requests: its parameters and body from their schemas, each as a user, anonymously or with a bad token. */
function routeArbitrary(method: string, path: string, schema: RouteSchema): fc.Arbitrary<FuzzRequest> {
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
  const auth = fc.constantFrom<User | 'none' | 'garbage'>('alice', 'alice', 'bob', 'carol', 'acme-admin', 'ops', 'none', 'garbage');
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
    .map(({ path: values, query, extraQuery: extra, body: payload, auth: who, contentType: type, webhook: hook }) =>
      buildRequest(method, path, { values, query, extra, payload, who, type, hook }),
    );
}

/** Every fuzzed route with its schema; a route (or path parameter) without one is listed apart: it would reach its handler unchecked. */
function fuzzedRoutes(): { routes: Array<{ method: string; path: string; schema: RouteSchema }>; unschemed: string[] } {
  const routes: Array<{ method: string; path: string; schema: RouteSchema }> = [];
  const unschemed: string[] = [];
  for (const route of t.routes()) {
    const u = route.url;
    if (!(u.startsWith('/api/') || u === '/metrics') || u.startsWith('/api/docs')) continue;
    const schema = route.schema as RouteSchema | undefined;
    const pathNames = [...u.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const described = Object.keys((schema?.params?.properties ?? {}) as object);
    for (const method of [route.method].flat().filter((m) => m !== 'HEAD')) {
      if (!schema || pathNames.some((n) => !described.includes(n))) unschemed.push(`${method} ${u}`);
      else routes.push({ method, path: u, schema });
    }
  }
  return { routes, unschemed };
}

interface Answer {
  route: string;
  url?: unknown;
  payload?: unknown;
  status: number;
  body: string;
}

/** Sends one batch at once; logs users whose session a fuzzed logout (or disabling) ended back in. */
async function sendBatch(batch: FuzzRequest[], counter: 'requests' | 'edgeRequests'): Promise<Answer[]> {
  const stale = new Set<User>();
  const answers = await Promise.all(
    batch.map(async (r) => {
      const started = Date.now();
      const res = await t.app.inject(r.inject);
      slowest.set(r.route, Math.max(slowest.get(r.route) ?? 0, Date.now() - started));
      counts[counter] += 1;
      count(statuses, String(res.statusCode));
      if ((res.statusCode === 401 || res.statusCode === 404) && r.user && !r.route.includes('/webhooks/')) stale.add(r.user);
      return { route: r.route, url: r.inject.url, payload: r.inject.payload, status: res.statusCode, body: res.body.slice(0, 300) };
    }),
  );
  for (const user of stale) {
    const me = await t.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${tokens.get(user)}` } });
    if (me.statusCode === 401) {
      counts.relogins += 1;
      await login(user);
    }
  }
  return answers;
}

describe('REST: each bound edge of each field of every route, once', () => {
  it('answers every edge request with no 5xx and no error log', async () => {
    const { routes, unschemed } = fuzzedRoutes();
    expect(unschemed).toEqual([]);
    // Requests that end their sender's sessions go last: in a batch with them, the others would only meet a 401.
    const endsSession = (r: FuzzRequest) => /^(DELETE \/api\/auth\/session|POST \/api\/auth\/sign-out-everywhere)$/.test(r.route);
    const all = routes.flatMap(({ method, path, schema }) => edgeRequests(method, path, schema));
    const requests = [...all.filter((r) => !endsSession(r)), ...all.filter(endsSession)];
    const answers: Answer[] = [];
    const errors: unknown[] = [];
    for (let i = 0; i < requests.length; i += BATCH) {
      const errorsBefore = errorLines().length;
      answers.push(...(await sendBatch(requests.slice(i, i + BATCH), 'edgeRequests')));
      errors.push(...errorLines().slice(errorsBefore));
    }
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(errors).toEqual([]);
    expect(counts.edgeRequests).toBe(requests.length);
    // Admin routes and repository management ran past their checks: admin routes answer anyone else 404, repository
    // writes 403; a 404 from DELETE /api/repos (no such repository) is its handler's.
    const guarded = (a: { route: string }) => /\/api\/admin\/|^(POST|DELETE) \/api\/repos/.test(a.route);
    const pastGuard = (a: Answer) => a.status !== 401 && a.status !== (a.route.includes('/api/admin/') ? 404 : 403);
    const reached = new Set(answers.filter((a) => guarded(a) && pastGuard(a)).map((a) => a.route));
    expect([...reached].sort()).toEqual([...new Set(requests.filter(guarded).map((r) => r.route))].sort());
  });
});

describe('REST: every route, from its schema', () => {
  it(`answers ${REST_BATCHES * BATCH} generated requests with no 5xx and no error log`, async () => {
    const { routes, unschemed } = fuzzedRoutes();
    expect(unschemed).toEqual([]);
    const operations = routes.map(({ method, path, schema }) => routeArbitrary(method, path, schema));
    expect(operations.length).toBeGreaterThanOrEqual(25);

    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(...operations), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const errorsBefore = errorLines().length;
        const answers = await sendBatch(batch, 'requests');
        expect(answers.filter((a) => a.status >= 500)).toEqual([]);
        expect(errorLines().slice(errorsBefore)).toEqual([]);
      }),
      { numRuns: REST_BATCHES, seed: SEED },
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
  // The REST part fuzzes the rollout's admin routes too, and may have taken a user out of live updates: all back in.
  beforeAll(async () => {
    const actor = { id: userIds.get('ops')!, username: 'ops' };
    await setLiveRollout(t.f.db, actor, { enabled: true, percent: 100 });
    for (const id of userIds.values()) await setUserLiveOverride(t.f.db, actor, id, null);
    for (const orgId of new Set([t.f.users.alice.orgId, t.f.users.carol.orgId])) await setOrgLiveOverride(t.f.db, actor, orgId, null);
    for (const user of USERS) await eventually(`${user} live again`, () => socketOf(user).catch(() => undefined), 30_000);
  });
  afterAll(() => {
    for (const s of sockets.values()) s.close();
  });

  type Frame = { user: User; message: [string, unknown] };
  type FrameAnswer = { event: string; payload: unknown; code: string | undefined };

  async function sendFrames(batch: Frame[], counter: 'frames' | 'edgeFrames'): Promise<FrameAnswer[]> {
    return Promise.all(
      batch.map(async ({ user, message: [event, payload] }) => {
        const s = await socketOf(user);
        counts[counter] += 1;
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
  }
  const badAck = (a: FrameAnswer) => a.code === 'INTERNAL' || a.code?.startsWith('no answer');

  it('answers each bound edge of each message field, from every user, with no INTERNAL ack and no error log', async () => {
    const frames: Frame[] = USERS.flatMap((user) =>
      Object.entries(CLIENT_MESSAGES).flatMap(([name, schema]) =>
        [validSample(schema as JsonSchema, options), ...boundEdges(schema as JsonSchema, options)].map((payload) => ({
          user,
          message: [name, payload] as [string, unknown],
        })),
      ),
    );
    const answers: FrameAnswer[] = [];
    const errors: unknown[] = [];
    for (let i = 0; i < frames.length; i += FRAME_BATCH) {
      const errorsBefore = errorLines().length;
      answers.push(...(await sendFrames(frames.slice(i, i + FRAME_BATCH), 'edgeFrames')));
      errors.push(...errorLines().slice(errorsBefore));
    }
    expect(answers.filter(badAck)).toEqual([]);
    expect(internal).toEqual([]);
    expect(errors).toEqual([]);
    expect(counts.edgeFrames).toBe(frames.length);
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
        const answers = await sendFrames(batch, 'frames');
        expect(answers.filter(badAck)).toEqual([]);
        expect(internal).toEqual([]);
        expect(errorLines().slice(errorsBefore)).toEqual([]);
      }),
      { numRuns: FRAME_BATCHES, seed: SEED },
    );
    expect(counts.frames).toBeGreaterThanOrEqual(FRAME_BATCHES * FRAME_BATCH);
    expect(counts.edgeRequests + counts.edgeFrames + counts.requests + counts.frames).toBeGreaterThanOrEqual(10_000);
  });
});
