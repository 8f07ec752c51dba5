import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions } from './logger';

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
});
