import pino, { type Logger, type LoggerOptions } from 'pino';
import pinoPretty, { prettyFactory } from 'pino-pretty';

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

/** How a JSON line reads on a terminal: the same here and where the local stack prints its apps' lines. */
const PRETTY_OPTIONS = { ignore: 'hostname,app', singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } as const;

/** Turns one JSON log line into the readable line (ending in a newline); any other text is kept as it is. */
export function prettyPrinter(): (line: string) => string {
  return prettyFactory(PRETTY_OPTIONS);
}

export interface LogOutput {
  /** Human-readable lines (pino-pretty) instead of JSON; by default only when stdout is a terminal. */
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
}

/**
 * JSON lines for machines (production, tests, anything piped), readable lines on a
 * terminal (`npm run dev`, `npm start` in a shell). Pretty printing runs in this
 * thread (`sync`) so lines keep their order with everything else the process writes.
 */
export function createLogger(name: string, level: string, output: LogOutput = {}): Logger {
  const options = loggerOptions(name, level);
  if (output.pretty ?? process.stdout.isTTY === true) {
    return pino(
      options,
      pinoPretty({
        destination: output.destination ?? process.stdout,
        sync: true,
        ...PRETTY_OPTIONS,
      }),
    );
  }
  return output.destination ? pino(options, output.destination) : pino(options);
}
