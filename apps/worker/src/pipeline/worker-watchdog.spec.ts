import { createLogger } from '@taskflow/platform';
import { WorkerWatchdog, type WatchedConsumer } from './worker-watchdog';

class FakeConsumer implements WatchedConsumer {
  started = 0;
  running = 0;
  replaced: string[] = [];
  constructor(
    readonly queue: string,
    readonly concurrency = 2,
  ) {}
  replace(reason: string): void {
    this.replaced.push(reason);
  }
}

const logger = createLogger('worker', 'silent');
const STUCK_MS = 10_000;

function setup() {
  const a = new FakeConsumer('a');
  const b = new FakeConsumer('b', 1);
  return { a, b, watchdog: new WorkerWatchdog([a, b], STUCK_MS, logger) };
}

describe('WorkerWatchdog', () => {
  it('replaces a worker that started nothing while jobs waited and it had room, once per stuck spell', () => {
    const { a, b, watchdog } = setup();
    expect(watchdog.check({ a: 3 }, 0)).toEqual([]);
    expect(watchdog.check({ a: 3 }, STUCK_MS - 1)).toEqual([]);
    expect(watchdog.check({ a: 3 }, STUCK_MS)).toEqual(['a']);
    expect(a.replaced).toEqual([expect.stringContaining('3 job(s) waited 10000 ms while it ran 0 of 2')]);
    expect(b.replaced).toEqual([]);
    // The new worker gets its own full spell before it is blamed.
    expect(watchdog.check({ a: 3 }, STUCK_MS + 1)).toEqual([]);
    expect(watchdog.check({ a: 3 }, 2 * STUCK_MS)).toEqual([]);
    expect(watchdog.check({ a: 3 }, 2 * STUCK_MS + 1)).toEqual(['a']);
  });

  it('leaves alone a worker that takes jobs, however long the queue stays non-empty', () => {
    const { a, watchdog } = setup();
    for (let t = 0; t <= 5 * STUCK_MS; t += STUCK_MS / 2) {
      a.started += 1;
      expect(watchdog.check({ a: 50 }, t)).toEqual([]);
    }
    expect(a.replaced).toEqual([]);
  });

  it('leaves alone a worker whose every slot runs a long job', () => {
    const { b, watchdog } = setup();
    b.running = 1;
    expect(watchdog.check({ b: 4 }, 0)).toEqual([]);
    expect(watchdog.check({ b: 4 }, 3 * STUCK_MS)).toEqual([]);
    // A slot frees up: from then on it must take a job within the bound.
    b.running = 0;
    expect(watchdog.check({ b: 4 }, 3 * STUCK_MS + 1)).toEqual([]);
    expect(watchdog.check({ b: 4 }, 4 * STUCK_MS + 1)).toEqual(['b']);
  });

  it('counts only the time jobs waited: an empty queue starts the clock again', () => {
    const { a, watchdog } = setup();
    watchdog.check({ a: 1 }, 0);
    watchdog.check({ a: 0 }, STUCK_MS / 2);
    expect(watchdog.check({ a: 1 }, STUCK_MS)).toEqual([]);
    expect(watchdog.check({ a: 1 }, STUCK_MS + STUCK_MS / 2)).toEqual([]);
    expect(watchdog.check({ a: 1 }, 2 * STUCK_MS)).toEqual(['a']);
    expect(a.replaced).toHaveLength(1);
  });

  it('blames no worker for a time the counts could not be read (Redis away)', () => {
    const { a, watchdog } = setup();
    watchdog.check({ a: 2 }, 0);
    watchdog.forget();
    expect(watchdog.check({ a: 2 }, STUCK_MS)).toEqual([]);
    expect(watchdog.check({ a: 2 }, 2 * STUCK_MS)).toEqual(['a']);
    expect(a.replaced).toHaveLength(1);
  });
});
