import { TaskflowClient } from './client';
import { FakeGateway, refusal, until } from './testing/fake-gateway';
import {
  TRANSPORT_STORAGE_KEY,
  TransportFallback,
  WEBSOCKET_RETRY_MAX_MS,
  WEBSOCKET_RETRY_MS,
  type TransportStorage,
  type TransportTrace,
} from './transport-fallback';

/** sessionStorage as a Map (what a Node consumer would inject). */
class MemoryStorage implements TransportStorage {
  readonly items = new Map<string, string>();
  getItem = (key: string) => this.items.get(key) ?? null;
  setItem = (key: string, value: string) => void this.items.set(key, value);
  removeItem = (key: string) => void this.items.delete(key);
}

describe('the fallback decision', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('falls back to long-polling first after two early WebSocket closes in a row, once, and remembers it', () => {
    const storage = new MemoryStorage();
    const traces: TransportTrace[] = [];
    const fallback = new TransportFallback({ storage, now: clock, onTrace: (t) => traces.push(t) });
    expect(fallback.engineOptions()).toEqual({ transports: ['websocket', 'polling'], upgrade: true });
    expect(fallback.webSocketClosedEarly()).toBe('retry');
    expect(fallback.getSnapshot().preferred).toBe('websocket');
    expect(fallback.webSocketClosedEarly()).toBe('fallback');
    expect(fallback.getSnapshot()).toMatchObject({ preferred: 'polling', earlyCloses: 2, retryWebSocketAt: now + WEBSOCKET_RETRY_MS });
    // No upgrade until the retry is due: a proxy that lets the probe through and then cuts it would cut every connection.
    expect(fallback.engineOptions()).toEqual({ transports: ['polling', 'websocket'], upgrade: false });
    // Already on long-polling first: further closes change nothing and are not told again.
    expect(fallback.webSocketClosedEarly()).toBe('retry');
    expect(traces.map((t) => t.kind)).toEqual(['websocket_closed_early', 'websocket_closed_early', 'fallback']);
    expect(JSON.parse(storage.getItem(TRANSPORT_STORAGE_KEY)!)).toEqual({ retryWebSocketAt: now + WEBSOCKET_RETRY_MS, failedRetries: 0 });

    // The next page of this tab (a reload) starts on long-polling.
    const reloaded = new TransportFallback({ storage, now: clock });
    expect(reloaded.getSnapshot()).toMatchObject({ preferred: 'polling', retryWebSocketAt: now + WEBSOCKET_RETRY_MS });
    now += WEBSOCKET_RETRY_MS;
    expect(reloaded.engineOptions()).toEqual({ transports: ['polling', 'websocket'], upgrade: true });
  });

  it('needs the two closes in a row: a WebSocket that held in between starts the count over', () => {
    const fallback = new TransportFallback({ now: clock });
    fallback.webSocketClosedEarly();
    fallback.webSocketHeld();
    expect(fallback.webSocketClosedEarly()).toBe('retry');
    expect(fallback.getSnapshot()).toMatchObject({ preferred: 'websocket', earlyCloses: 1 });
  });

  it('waits longer after each failed retry, at most WEBSOCKET_RETRY_MAX_MS, and stays on long-polling', () => {
    const storage = new MemoryStorage();
    const fallback = new TransportFallback({ storage, now: clock });
    fallback.webSocketClosedEarly();
    fallback.webSocketClosedEarly();
    const waits: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      fallback.retryFailed();
      waits.push(fallback.getSnapshot().retryWebSocketAt! - now);
    }
    const min = 60_000;
    expect(waits.map((w) => w / min)).toEqual([6, 12, 24, 30, 30, 30]);
    expect(Math.max(...waits)).toBe(WEBSOCKET_RETRY_MAX_MS);
    expect(fallback.getSnapshot()).toMatchObject({ preferred: 'polling', failedRetries: 6 });
    expect(JSON.parse(storage.getItem(TRANSPORT_STORAGE_KEY)!)).toMatchObject({ failedRetries: 6 });
  });

  it('goes back to WebSocket first when a retry holds, and forgets the fallback', () => {
    const storage = new MemoryStorage();
    const traces: TransportTrace[] = [];
    const fallback = new TransportFallback({ storage, now: clock, onTrace: (t) => traces.push(t) });
    fallback.webSocketClosedEarly();
    fallback.webSocketClosedEarly();
    fallback.webSocketHeld();
    expect(fallback.getSnapshot()).toMatchObject({ preferred: 'websocket', earlyCloses: 0, retryWebSocketAt: null, failedRetries: 0 });
    expect(storage.items.size).toBe(0);
    expect(traces.at(-1)).toEqual({ kind: 'websocket_restored' });
  });

  it('ignores what it cannot read in the storage, and a storage that throws', () => {
    const storage = new MemoryStorage();
    for (const junk of ['not json', '"polling"', '{"retryWebSocketAt":"soon"}']) {
      storage.setItem(TRANSPORT_STORAGE_KEY, junk);
      expect(new TransportFallback({ storage }).getSnapshot().preferred).toBe('websocket');
    }
    const broken: TransportStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => undefined,
    };
    const fallback = new TransportFallback({ storage: broken });
    fallback.webSocketClosedEarly();
    expect(fallback.webSocketClosedEarly()).toBe('fallback');
  });
});

describe('a client behind a middlebox', () => {
  let gateway: FakeGateway;
  const open: TaskflowClient[] = [];

  beforeAll(async () => {
    gateway = await FakeGateway.start();
  });
  afterAll(async () => {
    await gateway.close();
  });
  beforeEach(() => {
    gateway.middlebox = 'pass';
    gateway.cutWebSocketAfterMs = undefined;
    gateway.upgrades = 0;
    gateway.refuse = [];
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  function connect(storage: TransportStorage, extra: Partial<ConstructorParameters<typeof TaskflowClient>[0]> = {}): TaskflowClient {
    const client = new TaskflowClient({ url: gateway.url, token: 'good', transportStorage: storage, ...extra });
    open.push(client);
    return client;
  }

  it('that accepts the WebSocket and closes it: connects over long-polling within seconds, and the next page starts there', async () => {
    gateway.middlebox = 'accept-then-close';
    const storage = new MemoryStorage();
    const traces: TransportTrace[] = [];
    const started = Date.now();
    const client = connect(storage, { onTransportTrace: (t) => traces.push(t) });
    // Before: socket.io-client waited for its 20 s connect timeout after each cut WebSocket, and tried WebSocket again.
    await until(() => expect(client.getSnapshot().status).toBe('connected'), 5000);
    const tookMs = Date.now() - started;
    expect(client.transport.getSnapshot()).toMatchObject({ preferred: 'polling', current: 'polling', earlyCloses: 2 });
    expect(client.socket!.io.engine.transport.name).toBe('polling');
    expect(gateway.upgrades).toBe(2);
    expect(traces.map((t) => t.kind)).toEqual(['websocket_closed_early', 'websocket_closed_early', 'fallback']);
    expect(storage.getItem(TRANSPORT_STORAGE_KEY)).not.toBeNull();
    // Live over long-polling: a request is answered.
    expect(await client.request('dashboard:join', {})).toMatchObject({ ok: true });
    client.close();

    const next = connect(storage);
    await until(() => expect(next.getSnapshot().status).toBe('connected'), 5000);
    expect(next.transport.getSnapshot()).toMatchObject({ preferred: 'polling', current: 'polling' });
    // No WebSocket tried until the retry is due.
    expect(gateway.upgrades).toBe(2);
    expect(tookMs).toBeLessThan(5000);
  });

  it('tries WebSocket again later: stays on long-polling while it is cut, goes back to it once it holds', async () => {
    gateway.middlebox = 'accept-then-close';
    const storage = new MemoryStorage();
    const traces: TransportTrace[] = [];
    const client = connect(storage, { onTransportTrace: (t) => traces.push(t), transportRetry: { retryMs: 300, retryMaxMs: 600 } });
    await until(() => expect(client.getSnapshot().status).toBe('connected'), 5000);
    const handshakes = gateway.handshakes;
    const statuses: string[] = [];
    client.subscribe(() => statuses.push(client.getSnapshot().status));
    await until(() => expect(client.transport.getSnapshot().failedRetries).toBeGreaterThanOrEqual(2), 10_000);
    expect(client.transport.getSnapshot()).toMatchObject({ preferred: 'polling', current: 'polling' });
    // Each retry was a WebSocket probe beside the connection, which went on undisturbed: no reconnect.
    expect(gateway.upgrades).toBeGreaterThanOrEqual(4);
    expect(gateway.handshakes).toBe(handshakes);
    expect(statuses).toEqual([]);
    expect(traces.filter((t) => t.kind === 'fallback')).toHaveLength(1);

    gateway.middlebox = 'pass';
    await until(() => expect(client.transport.getSnapshot()).toMatchObject({ preferred: 'websocket', current: 'websocket' }), 15_000);
    expect(client.socket!.io.engine.transport.name).toBe('websocket');
    expect(client.getSnapshot().status).toBe('connected');
    expect(storage.getItem(TRANSPORT_STORAGE_KEY)).toBeNull();
    expect(traces.at(-1)).toEqual({ kind: 'websocket_restored' });
  });

  it('that cuts the WebSocket right after the Socket.IO connect: stays connected over long-polling', async () => {
    gateway.cutWebSocketAfterMs = 100;
    const client = connect(new MemoryStorage());
    // Before: connected over WebSocket for 100 ms at a time, then reconnecting, over and over.
    await until(() => expect(client.transport.getSnapshot()).toMatchObject({ preferred: 'polling', current: 'polling' }), 10_000);
    expect(gateway.upgrades).toBe(2);
    const handshakes = gateway.handshakes;
    await new Promise((r) => setTimeout(r, 1000));
    expect(client.getSnapshot().status).toBe('connected');
    expect(gateway.handshakes).toBe(handshakes);
  });

  it('whose node drains twice in a row (a rolling restart): stays on WebSocket, the closes were not early', async () => {
    const traces: TransportTrace[] = [];
    const client = connect(new MemoryStorage(), { onTransportTrace: (t) => traces.push(t) });
    for (let i = 0; i < 2; i += 1) {
      await until(() => expect(client.transport.getSnapshot().current).toBe('websocket'), 5000);
      expect(await client.request('dashboard:join', {})).toMatchObject({ ok: true });
      const handshakes = gateway.handshakes;
      // Well within EARLY_CLOSE_MS of the connect ack.
      gateway.drain();
      await until(() => expect(gateway.handshakes).toBeGreaterThan(handshakes), 5000);
    }
    // Before: two "early" closes, and the client went to long-polling for minutes.
    await until(() => expect(client.transport.getSnapshot().current).toBe('websocket'), 5000);
    expect(client.transport.getSnapshot()).toMatchObject({ preferred: 'websocket', earlyCloses: 0 });
    expect(traces).toEqual([]);
  });

  it('that the server disconnects twice in a row (io server disconnect): stays on WebSocket', async () => {
    const traces: TransportTrace[] = [];
    const client = connect(new MemoryStorage(), { onTransportTrace: (t) => traces.push(t) });
    for (let i = 0; i < 2; i += 1) {
      await until(() => expect(client.transport.getSnapshot().current).toBe('websocket'), 5000);
      const handshakes = gateway.handshakes;
      gateway.sockets.at(-1)!.disconnect(true);
      await until(() => expect(gateway.handshakes).toBeGreaterThan(handshakes), 5000);
    }
    await until(() => expect(client.transport.getSnapshot().current).toBe('websocket'), 5000);
    expect(client.transport.getSnapshot()).toMatchObject({ preferred: 'websocket', earlyCloses: 0 });
    expect(traces).toEqual([]);
  });

  it('refused LIVE_OFF while it waits to connect afresh after an early close: connects no more', async () => {
    // The longest wait before the fresh connection (750 ms), so that the refusal comes within it.
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.999);
    try {
      const client = connect(new MemoryStorage(), { socketOptions: { reconnectionDelay: 10, reconnectionDelayMax: 10 } });
      await until(() => expect(client.transport.getSnapshot().current).toBe('websocket'), 5000);
      // socket.io-client's own reconnect is refused: the live rollout took the user out.
      gateway.refuse = [refusal({ code: 'LIVE_OFF' })];
      gateway.cutWebSockets();
      await until(() => expect(client.getSnapshot()).toMatchObject({ status: 'polling', error: { code: 'LIVE_OFF' } }), 5000);
      expect(client.transport.getSnapshot().earlyCloses).toBe(1);
      const handshakes = gateway.handshakes;
      // Past the fresh connection's wait (nothing to wait for: it must not happen). Before: one more handshake.
      await new Promise((r) => setTimeout(r, 1500));
      expect(gateway.handshakes).toBe(handshakes);
      expect(client.socket!.active).toBe(false);
      expect(client.getSnapshot().status).toBe('polling');
    } finally {
      random.mockRestore();
    }
  });

  it('that refuses the upgrade: connects over long-polling at once (tryAllTransports)', async () => {
    gateway.middlebox = 'refuse';
    const client = connect(new MemoryStorage());
    await until(() => expect(client.getSnapshot().status).toBe('connected'), 5000);
    expect(client.transport.getSnapshot()).toMatchObject({ current: 'polling', earlyCloses: 1 });
  });

  it('keeps to the transports the caller chose', async () => {
    gateway.middlebox = 'accept-then-close';
    const storage = new MemoryStorage();
    const client = connect(storage, { socketOptions: { transports: ['websocket'], timeout: 1000, reconnectionDelayMax: 200 } });
    await until(() => expect(gateway.upgrades).toBeGreaterThanOrEqual(3), 10_000);
    expect(client.getSnapshot().status).toBe('connecting');
    expect(client.transport.getSnapshot().preferred).toBe('websocket');
    expect(storage.items.size).toBe(0);
  });
});
