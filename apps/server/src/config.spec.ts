import { loadServerConfig } from './config';

const required = {
  DATABASE_URL: 'postgres://localhost/taskflow',
  REDIS_URL: 'redis://localhost:6379',
  JWT_SECRET: 'a-jwt-secret-of-at-least-32-characters',
  GITHUB_WEBHOOK_SECRET: 'a-webhook-secret-0123',
};

describe('Redis key prefixes', () => {
  it('keeps presence, rate-limit and snapshot keys under QUEUE_PREFIX unless REDIS_KEY_PREFIX is set (keys of a running stack stay where they are)', () => {
    expect(loadServerConfig(required)).toMatchObject({ QUEUE_PREFIX: 'taskflow', REDIS_KEY_PREFIX: 'taskflow' });
    expect(loadServerConfig({ ...required, QUEUE_PREFIX: 'blue' })).toMatchObject({ QUEUE_PREFIX: 'blue', REDIS_KEY_PREFIX: 'blue' });
    expect(loadServerConfig({ ...required, QUEUE_PREFIX: 'blue', REDIS_KEY_PREFIX: 'green' })).toMatchObject({
      QUEUE_PREFIX: 'blue',
      REDIS_KEY_PREFIX: 'green',
    });
    expect(loadServerConfig({ ...required, REDIS_KEY_PREFIX: '' }).REDIS_KEY_PREFIX).toBe('taskflow');
  });

  it('refuses a REDIS_KEY_PREFIX that is not a plain name', () => {
    expect(() => loadServerConfig({ ...required, REDIS_KEY_PREFIX: 'a:b' })).toThrow('REDIS_KEY_PREFIX');
  });
});

describe('REDIS_MODE', () => {
  it('is one Redis unless set; cluster mode takes its seed nodes from REDIS_CLUSTER_NODES', () => {
    expect(loadServerConfig(required).redis).toEqual({ mode: 'single', url: 'redis://localhost:6379' });
    expect(loadServerConfig({ ...required, REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001' }).redis).toEqual({
      mode: 'cluster',
      url: 'redis://localhost:6379',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ],
    });
  });

  it('refuses cluster mode without nodes, an unknown mode and a malformed node list', () => {
    expect(() => loadServerConfig({ ...required, REDIS_MODE: 'cluster' })).toThrow(/REDIS_CLUSTER_NODES: required with REDIS_MODE=cluster/);
    expect(() => loadServerConfig({ ...required, REDIS_MODE: 'sentinel' })).toThrow('REDIS_MODE');
    expect(() => loadServerConfig({ ...required, REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: '127.0.0.1' })).toThrow('REDIS_CLUSTER_NODES');
  });
});

describe('REQUEST_LOG_LEVEL', () => {
  it('is debug on a terminal and info otherwise (containers, pipes) unless set', () => {
    expect(loadServerConfig(required, true).REQUEST_LOG_LEVEL).toBe('debug');
    expect(loadServerConfig(required, false).REQUEST_LOG_LEVEL).toBe('info');
    expect(loadServerConfig({ ...required, REQUEST_LOG_LEVEL: 'info' }, true).REQUEST_LOG_LEVEL).toBe('info');
    expect(loadServerConfig({ ...required, REQUEST_LOG_LEVEL: '' }, true).REQUEST_LOG_LEVEL).toBe('debug');
    expect(() => loadServerConfig({ ...required, REQUEST_LOG_LEVEL: 'loud' })).toThrow('REQUEST_LOG_LEVEL');
  });
});

describe('GITHUB_REPOS', () => {
  it('seeds nothing unless set; `owner/name` goes to the org named like the owner, `org:owner/name` to the org named', () => {
    expect(loadServerConfig(required).repoSeeds).toEqual([]);
    expect(loadServerConfig({ ...required, GITHUB_REPOS: 'acme/payments, globex:globex-corp/portal' }).repoSeeds).toEqual([
      { org: 'acme', fullName: 'acme/payments' },
      { org: 'globex', fullName: 'globex-corp/portal' },
    ]);
  });

  it.each(['not a repo', 'acme:', 'a:b:c/d', 'acme/payments,'])('refuses %j', (value) => {
    expect(() => loadServerConfig({ ...required, GITHUB_REPOS: value })).toThrow('GITHUB_REPOS');
  });
});
