import { Cluster } from './cluster';
import { Watchers, type Transport } from './watchers';

export interface ClusterSuite {
  cluster: Cluster;
  watchers: Watchers;
  /** Set once the final test stopped the cluster. */
  stopped?: Awaited<ReturnType<Cluster['stop']>>;
}

/**
 * One cluster per test file (`npm run cluster`, its own data directory and
 * port), watched by clients from the start; the file's last test stops it with
 * Ctrl-C and checks that nothing is left running.
 */
export function clusterSuite(
  name: string,
  opts: { env?: () => Record<string, string>; watchers?: Array<[string, Transport, string?]> } = {},
): ClusterSuite {
  const suite = {} as ClusterSuite;
  beforeAll(async () => {
    suite.cluster = await Cluster.start(name, opts.env?.() ?? {});
    suite.watchers = await Watchers.open(suite.cluster, opts.watchers);
  }, 300_000);
  afterAll(async () => {
    suite.watchers?.close();
    // A test that failed half-way still leaves nothing behind.
    if (suite.cluster && !suite.stopped) await suite.cluster.stop({ keepData: true });
  }, 120_000);
  return suite;
}

/** The last test of a file: Ctrl-C stops the whole stack, and nothing it started is left running. */
export function itStopsCleanly(suite: ClusterSuite): void {
  it('stops on Ctrl-C, leaving nothing running', async () => {
    suite.watchers.close();
    suite.stopped = await suite.cluster.stop();
    expect(suite.stopped.leftovers).toEqual([]);
    expect(suite.stopped.exitCode).toBe(0);
  }, 120_000);
}
