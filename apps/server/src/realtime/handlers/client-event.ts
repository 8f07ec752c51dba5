import type { ClientMessageName } from '@taskflow/events';
import { HANDLERS } from './handlers';

/**
 * Whether a frame's event name is one of our messages. Socket.IO lets a frame name
 * its event with a number (`42[1,{}]`), so the name is checked to be a string; and
 * own properties only: `toString`, `__proto__` and `constructor` are not handlers.
 */
export function isClientMessage(event: unknown): event is ClientMessageName {
  return typeof event === 'string' && Object.hasOwn(HANDLERS, event);
}

/** The UNKNOWN_EVENT message: the name (bounded) when it is a string, else only its type. */
export function unknownEventMessage(event: unknown): string {
  return typeof event === 'string'
    ? `Unknown event "${event.slice(0, 50)}"`
    : `Unknown event of type ${event === null ? 'null' : typeof event}`;
}
