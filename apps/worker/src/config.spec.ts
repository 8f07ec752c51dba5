import { loadWorkerConfig } from './config';

const required = { DATABASE_URL: 'postgres://localhost/taskflow', REDIS_URL: 'redis://localhost:6379' };

describe('Redis key prefixes', () => {
  it('keeps the sandbox keys under QUEUE_PREFIX unless REDIS_KEY_PREFIX is set', () => {
    expect(loadWorkerConfig(required)).toMatchObject({ QUEUE_PREFIX: 'taskflow', REDIS_KEY_PREFIX: 'taskflow' });
    expect(loadWorkerConfig({ ...required, QUEUE_PREFIX: 'blue' })).toMatchObject({ QUEUE_PREFIX: 'blue', REDIS_KEY_PREFIX: 'blue' });
    expect(loadWorkerConfig({ ...required, QUEUE_PREFIX: 'blue', REDIS_KEY_PREFIX: 'green' })).toMatchObject({
      QUEUE_PREFIX: 'blue',
      REDIS_KEY_PREFIX: 'green',
    });
  });

  it('refuses a REDIS_KEY_PREFIX that is not a plain name', () => {
    expect(() => loadWorkerConfig({ ...required, REDIS_KEY_PREFIX: 'a b' })).toThrow('REDIS_KEY_PREFIX');
  });
});

describe('REDIS_MODE', () => {
  it('is one Redis by default, and a cluster of the listed nodes with REDIS_MODE=cluster', () => {
    expect(loadWorkerConfig(required).redis).toEqual({ mode: 'single', url: 'redis://localhost:6379' });
    expect(loadWorkerConfig({ ...required, REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001' }).redis).toEqual({
      mode: 'cluster',
      url: 'redis://localhost:6379',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b', port: 7001 },
      ],
    });
  });

  it('refuses an unknown mode, a cluster without nodes, and a node that is not host:port', () => {
    expect(() => loadWorkerConfig({ ...required, REDIS_MODE: 'sentinel' })).toThrow('REDIS_MODE');
    expect(() => loadWorkerConfig({ ...required, REDIS_MODE: 'cluster' })).toThrow('REDIS_CLUSTER_NODES');
    expect(() => loadWorkerConfig({ ...required, REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: '10.0.0.1' })).toThrow('REDIS_CLUSTER_NODES');
    expect(() => loadWorkerConfig({ ...required, REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: '10.0.0.1:70000' })).toThrow(
      'REDIS_CLUSTER_NODES',
    );
  });
});

describe('JOB_MAX_STALLED', () => {
  it('lets a job outlive several worker deaths by default, and takes a bound', () => {
    expect(loadWorkerConfig(required).JOB_MAX_STALLED).toBe(8);
    expect(loadWorkerConfig({ ...required, JOB_MAX_STALLED: '1' }).JOB_MAX_STALLED).toBe(1);
    expect(() => loadWorkerConfig({ ...required, JOB_MAX_STALLED: '-1' })).toThrow('JOB_MAX_STALLED');
  });
});
