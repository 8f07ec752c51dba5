import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from 'ioredis';
import { loadStackEnv } from './config';
import { pingRedis } from './redis';
import { startServices } from './services';

/**
 * REDIS_MODE=cluster for the local stack: the services start a private Redis Cluster (3 masters + 3 replicas) in
 * place of the one redis-server, hand the apps its nodes and a URL with its password, and start it afresh next time.
 */
jest.setTimeout(120_000);

let dataDir: string;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-services-cluster-'));
});

afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

it('reads REDIS_MODE for the stack (single unless set; nothing else accepted)', () => {
  expect(loadStackEnv({}).REDIS_MODE).toBe('single');
  expect(loadStackEnv({ REDIS_MODE: 'cluster' }).REDIS_MODE).toBe('cluster');
  expect(() => loadStackEnv({ REDIS_MODE: 'sentinel' })).toThrow('REDIS_MODE');
});

it('starts a Redis Cluster the apps can use, and again on the next start, and leaves nothing running', async () => {
  for (let run = 1; run <= 2; run++) {
    const services = await startServices({
      dataDir,
      // Given, so no embedded PostgreSQL is started; nothing here connects to it.
      databaseUrl: 'postgres://unused@127.0.0.1:1/unused',
      pgPassword: 'unused',
      redisPassword: `cluster-password-${run}`,
      redisMode: 'cluster',
      fast: true,
    });
    const nodes = services.redisClusterNodes!.split(',').map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) }));
    try {
      expect(nodes).toHaveLength(6);
      expect(services.embeddedRedis).toBeUndefined();
      const password = decodeURIComponent(new URL(services.redisUrl).password);
      expect(password).toBe(`cluster-password-${run}`);
      const client = new Cluster(nodes, { redisOptions: { password } });
      try {
        for (let i = 0; i < 10; i++) await client.set(`services:${i}`, String(run));
        expect(await client.get('services:9')).toBe(String(run));
        expect(client.nodes('master')).toHaveLength(3);
      } finally {
        client.disconnect();
      }
    } finally {
      await services.stop();
    }
    for (const n of nodes) expect(await pingRedis(n.port, `cluster-password-${run}`)).toBe(false);
  }
});
