import type { Logger } from 'pino';

/** Signals this close together are one Ctrl-C seen twice (terminal + supervisor), not a second press. */
const DUPLICATE_WINDOW_MS = 1500;

/**
 * Runs `stop` once on SIGINT/SIGTERM; a second signal (later than the duplicate
 * window) forces exit. When started by a supervisor over IPC (the local stack),
 * the process also stops when the supervisor goes away, so it never outlives it.
 * Returns a function that triggers the same shutdown programmatically.
 */
export function onShutdown(logger: Logger, stop: (reason: string) => Promise<void>): (reason?: string) => Promise<void> {
  let stopping: Promise<void> | undefined;
  let firstAt = 0;
  const run = (reason = 'manual') => {
    if (stopping) return stopping;
    firstAt = Date.now();
    logger.info({ reason }, 'shutting down');
    stopping = stop(reason)
      .then(
        () => logger.info('stopped'),
        (err: unknown) => {
          logger.error({ err }, 'error during shutdown');
          process.exitCode = 1;
        },
      )
      .finally(() => {
        // The supervisor's IPC channel would keep the event loop alive.
        if (process.connected) process.disconnect();
        // Everything is closed; a handle still open now is a leak, not work to wait for.
        setTimeout(() => {
          logger.warn('handles still open after shutdown; exiting');
          process.exit();
        }, 5000).unref();
      });
    return stopping;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping && Date.now() - firstAt > DUPLICATE_WINDOW_MS) {
        logger.warn({ signal }, 'second signal: forcing exit');
        process.exit(1);
      }
      void run(signal);
    });
  }
  if (process.connected) process.once('disconnect', () => void run('supervisor exited'));
  return run;
}
