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
