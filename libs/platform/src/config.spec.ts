import { Type } from '@sinclair/typebox';
import { ConfigError, Env, parseEnv } from './config';

const Schema = Type.Object({
  PORT: Env.port(3000),
  DATABASE_URL: Env.url(),
  DEBUG: Env.bool(false),
  LOG_LEVEL: Env.logLevel(),
  NAMES: Type.Optional(Type.String()),
});

describe('parseEnv', () => {
  it('applies defaults and converts strings', () => {
    const cfg = parseEnv(Schema, { DATABASE_URL: 'postgres://x/y', PORT: '8080', DEBUG: 'true' });
    expect(cfg).toEqual({ PORT: 8080, DATABASE_URL: 'postgres://x/y', DEBUG: true, LOG_LEVEL: 'info' });
  });

  it('treats empty strings as unset', () => {
    expect(parseEnv(Schema, { DATABASE_URL: 'redis://h', PORT: '' }).PORT).toBe(3000);
  });

  it('lists every bad variable at once', () => {
    let error: unknown;
    try {
      parseEnv(Schema, { PORT: 'eighty', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).toMatch(/LOG_LEVEL/);
    expect(message).toContain('"eighty"');
  });

  it('returns a frozen object', () => {
    const cfg = parseEnv(Schema, { DATABASE_URL: 'postgres://x/y' });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(() => {
      (cfg as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });

  it('ignores variables the schema does not name', () => {
    expect(parseEnv(Schema, { DATABASE_URL: 'postgres://x/y', HOME: '/root' })).not.toHaveProperty('HOME');
  });
});

describe('configuration errors never print a secret', () => {
  const Secrets = Type.Object({
    JWT_SECRET: Env.secret(),
    GITHUB_TOKEN: Type.String({ pattern: '^gh' }),
    LLM_API_KEY: Type.String({ minLength: 40 }),
    DEMO_PASSWORD: Type.String({ minLength: 20 }),
    METRICS_TOKEN: Type.String({ minLength: 40 }),
    DATABASE_URL: Env.url(),
    REDIS_URL: Type.String({ pattern: '^redis://[a-z]+$' }),
    PORT: Env.port(3000),
  });

  it('names each bad variable but shows no credential in the message', () => {
    const env = {
      JWT_SECRET: 'hunter2-too-short',
      GITHUB_TOKEN: 'xoxp-not-a-github-token',
      LLM_API_KEY: 'sk-live-short-key',
      DEMO_PASSWORD: 'pa55word',
      METRICS_TOKEN: 'metrics-token-value',
      DATABASE_URL: 'taskflow:db-pa55@db.internal/taskflow',
      REDIS_URL: 'redis://:redis-pa55@cache.internal:6379',
      PORT: 'eighty',
    };
    let message = '';
    try {
      parseEnv(Secrets, env);
    } catch (err) {
      message = (err as ConfigError).message;
    }
    for (const name of Object.keys(env)) expect(message).toContain(`${name}:`);
    for (const secret of ['hunter2', 'xoxp-not', 'sk-live', 'pa55word', 'metrics-token-value', 'db-pa55', 'redis-pa55'])
      expect(message).not.toContain(secret);
    expect(message).toContain('JWT_SECRET: ');
    expect(message).toContain('(got a value of 17 characters, hidden)');
    expect(message).toContain('redis://:***@cache.internal:6379');
    expect(message).toContain('"eighty"');
  });
});
