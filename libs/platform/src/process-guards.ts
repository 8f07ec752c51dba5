import type { Logger } from 'pino';

let unhandledRejections = 0;
let installed = false;

/** Unhandled promise rejections this process survived (for a Prometheus counter). */
export function unhandledRejectionCount(): number {
  return unhandledRejections;
}

/**
 * Process-wide fault policy of a long-running app. A rejected promise nobody
 * awaited is nearly always a failed I/O call (a Redis or PostgreSQL hiccup)
 * whose caller has already moved on: Node would exit on it, taking every socket
 * of the node down with it, so it is logged, counted and survived. An uncaught
 * exception leaves state unknown: it is logged and the process exits, for its
 * supervisor to restart. Installed once per process; later calls do nothing.
 */
export function installProcessGuards(logger: Logger): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    unhandledRejections += 1;
    logger.error({ err: reason, total: unhandledRejections }, 'unhandled promise rejection; carrying on');
  });
  process.on('uncaughtException', (err, origin) => {
    logger.fatal({ err, origin }, 'uncaught exception; exiting');
    logger.flush?.();
    process.exit(1);
  });
}
