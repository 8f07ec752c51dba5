import { Type } from '@sinclair/typebox';
import { ConfigError, parseEnv } from './config';
import { databaseEnv, githubEnv, jobRetryEnv, processEnv, redisEnv, redisSettings, sharedSettings } from './env-fragments';

/** A schema built the way the apps build theirs. */
const AppSchema = Type.Object({ ...databaseEnv(7), ...redisEnv, ...processEnv('app'), ...jobRetryEnv, ...githubEnv });
const required = { DATABASE_URL: 'postgres://localhost/taskflow', REDIS_URL: 'redis://localhost:6379' };

describe('shared env fragments', () => {
  it("give each app the same defaults, with the app's own pool size and node-id prefix", () => {
    const parsed = parseEnv(AppSchema, required);
    expect(parsed).toMatchObject({
      DB_POOL_SIZE: 7,
      DB_CONNECT_TIMEOUT_MS: 5000,
      DB_QUERY_TIMEOUT_MS: 60_000,
      QUEUE_PREFIX: 'taskflow',
      LOG_LEVEL: 'info',
      NODE_ID: `app-${process.pid}`,
      JOB_ATTEMPTS: 12,
      JOB_BACKOFF_MS: 1000,
      GITHUB_API_URL: 'https://api.github.com',
    });
    expect(parsed.REDIS_KEY_PREFIX).toBeUndefined();
  });

  it('describe every variable (docs/configuration.md is generated from them)', () => {
    for (const [name, schema] of Object.entries(AppSchema.properties)) expect([name, typeof schema.description]).toEqual([name, 'string']);
  });

  it('list every bad shared variable at once', () => {
    const bad = {
      DATABASE_URL: 'localhost',
      REDIS_URL: 'nope',
      DB_POOL_SIZE: '0',
      QUEUE_PREFIX: 'a:b',
      REDIS_KEY_PREFIX: 'a b',
      LOG_LEVEL: 'loud',
      JOB_ATTEMPTS: '0',
      GITHUB_API_URL: 'github',
    };
    let err: unknown;
    try {
      parseEnv(AppSchema, bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const named = new Set((err as ConfigError).problems.map((p) => p.split(':')[0]));
    expect([...named].sort()).toEqual(Object.keys(bad).sort());
  });

  it('derive the Redis key prefix (QUEUE_PREFIX unless set) and the GitHub web host', () => {
    const redis = { REDIS_URL: 'redis://localhost:6379', REDIS_MODE: 'single' } as const;
    expect(sharedSettings({ ...redis, QUEUE_PREFIX: 'blue', GITHUB_API_URL: 'https://api.github.com' })).toEqual({
      redis: { mode: 'single', url: 'redis://localhost:6379' },
      REDIS_KEY_PREFIX: 'blue',
      githubWebHost: 'github.com',
    });
    expect(
      sharedSettings({ ...redis, QUEUE_PREFIX: 'blue', REDIS_KEY_PREFIX: 'green', GITHUB_API_URL: 'https://ghe.example/api/v3' }),
    ).toEqual({
      redis: { mode: 'single', url: 'redis://localhost:6379' },
      REDIS_KEY_PREFIX: 'green',
      githubWebHost: 'ghe.example',
    });
  });

  describe('Redis mode', () => {
    const cluster = (env: Record<string, string>) => redisSettings(parseEnv(AppSchema, { ...required, ...env }));
    const problems = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems;
      }
      throw new Error('no ConfigError');
    };

    it('is a single Redis (REDIS_URL) unless REDIS_MODE=cluster', () => {
      expect(cluster({})).toEqual({ mode: 'single', url: 'redis://localhost:6379' });
    });

    it('takes the cluster seed nodes from REDIS_CLUSTER_NODES, with REDIS_URL for the credentials', () => {
      const settings = cluster({
        REDIS_MODE: 'cluster',
        REDIS_URL: 'redis://:pw@localhost:6379',
        REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis-2.internal:7001 ',
      });
      expect(settings).toEqual({
        mode: 'cluster',
        url: 'redis://:pw@localhost:6379',
        nodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: 'redis-2.internal', port: 7001 },
        ],
      });
      expect(Object.isFrozen(settings)).toBe(true);
    });

    it('refuses REDIS_MODE=cluster without REDIS_CLUSTER_NODES', () => {
      expect(problems(() => cluster({ REDIS_MODE: 'cluster' }))).toEqual([
        expect.stringMatching(/^REDIS_CLUSTER_NODES: required with REDIS_MODE=cluster/),
      ]);
    });

    it('refuses an unknown REDIS_MODE, a malformed node list and a port out of range', () => {
      const named = problems(() => cluster({ REDIS_MODE: 'sentinel', REDIS_CLUSTER_NODES: 'host-without-port' })).map(
        (p) => p.split(':')[0],
      );
      expect(new Set(named)).toEqual(new Set(['REDIS_MODE', 'REDIS_CLUSTER_NODES']));
      expect(problems(() => cluster({ REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:70000' }))).toEqual([
        expect.stringContaining('port out of range in 10.0.0.2:70000'),
      ]);
    });
  });
});
