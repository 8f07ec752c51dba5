/**
 * A process started by the local stack's supervisor (libs/devstack) has an IPC channel to it. A worker has no
 * port to probe, so it says over that channel when it is ready; the supervisor reports a restart only then.
 */
export const READY_MESSAGE = Object.freeze({ type: 'taskflow:ready' });

/** Tells the supervisor, if any, that this process now does its job (a no-op without one). */
export function tellSupervisorReady(): void {
  if (process.connected) process.send?.(READY_MESSAGE);
}

export function isReadyMessage(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === READY_MESSAGE.type;
}
