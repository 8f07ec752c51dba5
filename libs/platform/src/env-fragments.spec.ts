import { Type } from '@sinclair/typebox';
import { ConfigError, parseEnv } from './config';
import { databaseEnv, githubEnv, jobRetryEnv, processEnv, redisEnv, sharedSettings } from './env-fragments';

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
    expect(sharedSettings({ QUEUE_PREFIX: 'blue', GITHUB_API_URL: 'https://api.github.com' })).toEqual({
      REDIS_KEY_PREFIX: 'blue',
      githubWebHost: 'github.com',
    });
    expect(sharedSettings({ QUEUE_PREFIX: 'blue', REDIS_KEY_PREFIX: 'green', GITHUB_API_URL: 'https://ghe.example/api/v3' })).toEqual({
      REDIS_KEY_PREFIX: 'green',
      githubWebHost: 'ghe.example',
    });
  });
});
