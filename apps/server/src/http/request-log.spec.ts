import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { RequestLog, type RequestLogLevel } from './request-log';

/** A Fastify app logging every line (trace and up) as JSON into an array. */
async function appLogging(level: RequestLogLevel) {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const loggerInstance: FastifyBaseLogger = pino({ level: 'trace' }, sink);
  const app = Fastify({ loggerInstance, logController: new RequestLog(level) });
  app.get('/ok', async () => ({ ok: true }));
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  await app.ready();
  return { app, lines };
}

const DEBUG = 20;
const INFO = 30;

describe('RequestLog', () => {
  it('logs the request lines (incoming, completed, not found) at the chosen level', async () => {
    const { app, lines } = await appLogging('debug');
    await app.inject({ url: '/ok' });
    await app.inject({ url: '/missing' });
    const requestLines = lines.filter((l) => ['incoming request', 'request completed'].includes(l.msg) || l.msg.includes('not found'));
    expect(requestLines.map((l) => [l.msg, l.level])).toEqual([
      ['incoming request', DEBUG],
      ['request completed', DEBUG],
      ['incoming request', DEBUG],
      ['Route GET:/missing not found', DEBUG],
      ['request completed', DEBUG],
    ]);
    await app.close();
  });

  it('keeps info when asked (containers), and a failed request still logs its error', async () => {
    const { app, lines } = await appLogging('info');
    await app.inject({ url: '/ok' });
    expect(lines.filter((l) => l.msg === 'request completed').map((l) => l.level)).toEqual([INFO]);
    lines.length = 0;
    const quiet = await appLogging('silent');
    await quiet.app.inject({ url: '/boom' });
    expect(quiet.lines.map((l) => l.msg)).toEqual(['boom']);
    expect(quiet.lines[0]!.level).toBeGreaterThanOrEqual(50);
    await app.close();
    await quiet.app.close();
  });
});
