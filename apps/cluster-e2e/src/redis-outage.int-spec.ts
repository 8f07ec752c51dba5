import { clusterSuite, expectHeld, itStopsCleanly, runFault } from './harness';

/**
 * `npm run cluster` while its Redis (queues, Socket.IO adapter, emitter) is
 * stalled and then restarted, with events being published and deliveries and
 * task creations arriving: every client converges to the committed state.
 */
jest.setTimeout(200_000);
const suite = clusterSuite('redis');

describe('Redis outages under traffic', () => {
  it('stalled 5 s (SIGSTOP): published events reach every client, nothing answered 2xx is lost', async () => {
    const o = await runFault(suite, {
      name: 'redis-stall',
      fault: () => suite.cluster.stallRedis(5000),
      deliveries: 6,
      creations: 6,
      spreadMs: 4500,
    });
    console.log(o.report);
    expectHeld(o);
  });

  it('restarted (SIGTERM, 3 s down, same port and data): clients converge, 5xx answers are applied on Redeliver', async () => {
    const o = await runFault(suite, {
      name: 'redis-restart',
      fault: () => suite.cluster.restartRedis(3000),
      killed: [{ role: 'redis', name: 'redis' }],
      deliveries: 6,
      creations: 6,
      spreadMs: 4000,
    });
    console.log(o.report);
    expectHeld(o);
  });

  itStopsCleanly(suite);
});
