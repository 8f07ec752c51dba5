import type { Logger } from 'pino';

/** Signals this close together are one Ctrl-C seen twice (terminal + supervisor, or terminal + npm), not a second press. */
const DUPLICATE_WINDOW_MS = 1500;

/**
 * The one place that tells a first Ctrl-C from a second: the first SIGINT/SIGTERM
 * (or the supervisor's IPC channel closing) calls `stop` once; a signal within the
 * duplicate window is the same press seen twice and ignored; a later one calls
 * `force`. Returns a function that starts the same stop programmatically.
 */
export function onStopSignals(stop: (reason: string) => void, force: (signal: NodeJS.Signals) => void): (reason: string) => void {
  let firstAt = 0;
  const begin = (reason: string) => {
    if (firstAt) return;
    firstAt = Date.now();
    stop(reason);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt && Date.now() - firstAt > DUPLICATE_WINDOW_MS) force(signal);
    else begin(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Started by a supervisor over IPC: if it goes away (even by SIGKILL), stop with it.
  if (process.connected) process.once('disconnect', () => begin('supervisor exited'));
  return begin;
}

/**
 * Runs `stop` once on SIGINT/SIGTERM; a second signal (later than the duplicate
 * window) forces exit. When started by a supervisor over IPC (the local stack),
 * the process also stops when the supervisor goes away, so it never outlives it.
 * Returns a function that triggers the same shutdown programmatically.
 */
export function onShutdown(logger: Logger, stop: (reason: string) => Promise<void>): (reason?: string) => Promise<void> {
  let stopping: Promise<void> | undefined;
  const run = (reason: string) => {
    if (stopping) return stopping;
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
  const begin = onStopSignals(
    (reason) => void run(reason),
    (signal) => {
      logger.warn({ signal }, 'second signal: forcing exit');
      process.exit(1);
    },
  );
  return (reason = 'manual') => {
    begin(reason);
    return run(reason);
  };
}
