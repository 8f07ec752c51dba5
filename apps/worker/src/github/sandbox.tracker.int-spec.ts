import { Cluster } from 'ioredis';
import { startRedisCluster, type RedisClusterHandle } from '@taskflow/devstack';
import { SandboxTracker } from './sandbox.tracker';

/** The sandbox's script touches two keys of a repository: on a real Redis Cluster they must share a slot. */
jest.setTimeout(90_000);

let cluster: RedisClusterHandle;
let redis: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster({ replicasPerMaster: 0, fast: true });
  redis = new Cluster(cluster.nodes, { redisOptions: { password: cluster.password } });
});

afterAll(async () => {
  await redis?.quit();
  await cluster?.stop();
});

const request = (repo: string, marker: string) => ({ repo, marker, title: 't', body: 'b', labels: [], since: new Date(0) });

it('numbers issues per repository, once per marker, on Redis Cluster', async () => {
  const tracker = new SandboxTracker(redis, 'taskflow');
  const first = await tracker.ensureIssue(request('acme/payments', 'm1'));
  expect(first).toEqual({ number: 1, url: 'https://sandbox.taskflow.invalid/acme/payments/issues/1' });
  expect((await tracker.ensureIssue(request('acme/payments', 'm2'))).number).toBe(2);
  expect((await tracker.ensureIssue(request('acme/payments', 'm1'))).number).toBe(1);
  expect((await tracker.ensureIssue(request('acme/web', 'm1'))).number).toBe(1);
  expect(await tracker.findIssue(request('acme/payments', 'm2'))).toEqual({
    number: 2,
    url: 'https://sandbox.taskflow.invalid/acme/payments/issues/2',
  });
  await tracker.closeIssue({ repo: 'acme/payments', number: 2, comment: 'cancelled' });
  await tracker.closeIssue({ repo: 'acme/payments', number: 2, comment: 'again' });
  expect(await tracker.issueState('acme/payments', 2)).toEqual({ state: 'closed', closeComment: 'cancelled' });
  expect(await tracker.issueState('acme/payments', 1)).toEqual({ state: 'open' });
});
