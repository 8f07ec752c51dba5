import { login } from '@taskflow/testing';
import {
  clusterSuite,
  DEMO_PASSWORD,
  hostileFrames,
  itStopsCleanly,
  RawSocketIo,
  recordMeasurements,
  TaskAuthor,
  untilStatus,
} from './harness';

/**
 * 10 000 random and malformed Socket.IO frames from one client (a user of
 * another org), through HAProxy to server-1, while control clients on the same
 * node watch tasks being created: no process exits, the controls keep
 * receiving live events, and no frame makes a handler fail internally.
 */
jest.setTimeout(200_000);
const FRAMES = 10_000;
const SEED = Number(process.env.FAULTS_SEED ?? 20_261_126);
const suite = clusterSuite('hostile-frames', {
  watchers: [
    ['alice', 'websocket', 'server-1'],
    ['bob', 'polling', 'server-1'],
  ],
});

describe('hostile Socket.IO frames', () => {
  it(`${FRAMES} random and malformed frames: nothing exits, control clients on the same node keep receiving`, async () => {
    const { cluster, watchers } = suite;
    const before = cluster.processes();
    const author = await TaskAuthor.as(cluster);
    const token = await login(cluster.url, 'carol', DEMO_PASSWORD);
    const frames = hostileFrames(SEED, FRAMES);
    const acks = new Map<number, unknown>();
    let socket = await RawSocketIo.connect(cluster.url, { token, node: 'server-1' });
    let reconnects = 0;
    let live = true;
    // Meanwhile, tasks keep being created: the control clients must see each one live.
    const created: string[] = [];
    const creator = (async () => {
      for (let n = 0; live; n++) {
        const id = await author.create(5000 + n);
        if (id) {
          created.push(id);
          watchers.watch([id]);
        }
        // Paces the creations: one a second while the fuzzing goes on.
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const started = Date.now();
    for (const [i, frame] of frames.entries()) {
      if (!socket.open) {
        for (const [id, ack] of socket.acks) acks.set(id, ack);
        socket = await RawSocketIo.connect(cluster.url, { token, node: 'server-1' });
        reconnects += 1;
      }
      await socket.send(frame.data, frame.binary);
      // The server answers a broken frame by closing the connection; give it the moment to do so.
      if (frame.fatal || i % 200 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    // Time for the answers to the last frames (which ones get one is not known in advance).
    await new Promise((r) => setTimeout(r, 2000));
    for (const [id, ack] of socket.acks) acks.set(id, ack);
    socket.close();
    const fuzzMs = Date.now() - started;
    live = false;
    await creator;

    const notDispatched = await untilStatus(cluster, created, ['dispatched'], 60_000);
    let convergedMs: number | string = 'not converged';
    let convergeError: string | undefined;
    try {
      convergedMs = await watchers.converge(created, 30_000);
    } catch (err) {
      convergeError = (err as Error).message;
    }
    const codes: Record<string, number> = {};
    for (const ack of acks.values()) {
      const code = (ack as { error?: { code?: string } })?.error?.code ?? ((ack as { ok?: boolean })?.ok ? 'ok' : 'other');
      codes[code] = (codes[code] ?? 0) + 1;
    }
    // Prototype names are events like any other unknown name: never a handler run, never an internal error.
    const prototypeAnswers = frames
      .filter((f) => f.unknownEventAck !== undefined && acks.has(f.unknownEventAck))
      .map((f) => ({
        frame: String(f.data).slice(0, 60),
        code: (acks.get(f.unknownEventAck!) as { error?: { code?: string } })?.error?.code,
      }));
    const controlsDisconnected = watchers.all.filter((w) => w.reconnects > 0).map((w) => `${w.label}: ${w.history.join(', ')}`);
    const survivors = cluster.survivors(before);
    console.log(
      recordMeasurements('hostile-frames', {
        seed: SEED,
        frames: FRAMES,
        fuzzMs,
        rawReconnects: reconnects,
        acksByCode: codes,
        tasksCreatedMeanwhile: created.length,
        convergedMsAfterFrames: convergedMs,
        controls: watchers.stats(),
      }),
    );
    expect(survivors).toEqual([]);
    expect(created.length).toBeGreaterThan(3);
    expect(notDispatched).toEqual([]);
    expect(convergeError).toBeUndefined();
    expect(controlsDisconnected).toEqual([]);
    expect(prototypeAnswers.length).toBeGreaterThan(0);
    // A prototype name is an unknown event — or, once the flood has used the socket's budget, rate-limited
    // like any other frame; never an internal error.
    expect(prototypeAnswers.filter((a) => a.code === 'UNKNOWN_EVENT').length).toBeGreaterThan(0);
    expect(prototypeAnswers.filter((a) => a.code !== 'UNKNOWN_EVENT' && a.code !== 'RATE_LIMITED')).toEqual([]);
    expect(codes.INTERNAL ?? 0).toBe(0);
  });

  itStopsCleanly(suite);
});
