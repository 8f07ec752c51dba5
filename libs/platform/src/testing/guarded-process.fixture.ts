import pino from 'pino';
import { installProcessGuards, unhandledRejectionCount } from '../process-guards';

/**
 * A process with the guards installed that fails the way argv[2] says
 * (`rejection` or `exception`), then reports whether it is still alive.
 */
const logger = pino({ base: null });
installProcessGuards(logger);
const fault = process.argv[2];
if (fault === 'rejection') void Promise.reject(new Error('redis went away'));
if (fault === 'exception')
  setImmediate(() => {
    throw new Error('state is corrupt');
  });
setTimeout(() => {
  process.stdout.write(`still running; unhandled rejections: ${unhandledRejectionCount()}\n`);
  process.exit(0);
}, 300);
