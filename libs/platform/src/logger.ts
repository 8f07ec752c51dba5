import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths redacted from every log line: tokens, passwords and secrets never reach the logs. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'passwordHash',
  '*.passwordHash',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-hub-signature-256"]',
];

export function loggerOptions(name: string, level: string): LoggerOptions {
  return {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { app: name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(name: string, level: string): Logger {
  return pino(loggerOptions(name, level));
}
