import { clusterSuite, expectHeld, itStopsCleanly, runFault } from './harness';

/**
 * `npm run cluster` while its PostgreSQL is stalled (every process SIGSTOPped)
 * and then restarted, with GitHub deliveries and task creations arriving
 * meanwhile and clients watching. A 2xx to GitHub means the delivery will be
 * applied; a 5xx means GitHub's Redeliver (same delivery id) will apply it.
 */
jest.setTimeout(200_000);
const suite = clusterSuite('postgres');

describe('PostgreSQL outages under traffic', () => {
  it('stalled 10 s (SIGSTOP of the postmaster and every backend): nothing answered 2xx is lost, clients converge', async () => {
    const o = await runFault(suite, {
      name: 'postgres-stall',
      fault: () => suite.cluster.stallPostgres(10_000),
      deliveries: 6,
      creations: 6,
      spreadMs: 8000,
    });
    console.log(o.report);
    expectHeld(o);
  });

  it('restarted (fast shutdown, 10 s down, started again): 5xx answers are applied on Redeliver, clients converge', async () => {
    const o = await runFault(suite, {
      name: 'postgres-restart',
      fault: () => suite.cluster.restartPostgres(10_000),
      killed: [{ role: 'postgres', name: 'postgres' }],
      deliveries: 6,
      creations: 6,
      spreadMs: 9000,
    });
    console.log(o.report);
    // With the database down, deliveries cannot be recorded: GitHub must have been told to redeliver some.
    expect(Object.keys(o.firstAnswers).some((a) => !a.startsWith('2'))).toBe(true);
    expectHeld(o);
  });

  itStopsCleanly(suite);
});
