/** What `withDeadline` rejects with when the work did not settle in time. */
export class DeadlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineError';
  }
}

/**
 * `work`'s outcome, or a DeadlineError once `ms` have passed without one. Nothing cancels `work`: it goes on, and
 * its later failure is handled (no unhandled rejection). After a stall of the event loop, timers run before I/O:
 * an outcome that has already arrived gets one turn to be read, so a late timer does not beat work that was on time.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, message = `timed out after ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => setImmediate(() => reject(new DeadlineError(message))), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
