import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, loggerOptions } from './logger';

describe('logger', () => {
  it('redacts secrets from log lines', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const logger = pino(loggerOptions('test', 'info'), sink);
    logger.info({ password: 'hunter2', user: { token: 'jwt-abc' }, req: { headers: { authorization: 'Bearer xyz' } } }, 'login');
    const out = lines.join('');
    expect(out).not.toMatch(/hunter2|jwt-abc|Bearer xyz/);
    expect(out).toContain('[redacted]');
  });

  const collect = () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    return { lines, sink };
  };

  it('writes pretty, human-readable lines when asked (a terminal), still redacted', () => {
    const { lines, sink } = collect();
    createLogger('server', 'info', { pretty: true, destination: sink }).info({ token: 'jwt-abc', taskId: 't1' }, 'task created');
    // Colours depend on the terminal (FORCE_COLOR under Nx); the words do not.
    const out = lines.join('').replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
    expect(() => JSON.parse(out) as unknown).toThrow();
    expect(out).toMatch(/INFO.*\(server\/\d+\): task created/);
    expect(out).toContain('"taskId":"t1"');
    expect(out).not.toContain('jwt-abc');
  });

  it('writes one JSON object per line otherwise (pipes, tests, production)', () => {
    const { lines, sink } = collect();
    createLogger('worker', 'info', { pretty: false, destination: sink }).info({ taskId: 't1' }, 'job done');
    const line = JSON.parse(lines.join('')) as Record<string, unknown>;
    expect(line).toMatchObject({ app: 'worker', msg: 'job done', taskId: 't1', level: 30 });
  });
});
