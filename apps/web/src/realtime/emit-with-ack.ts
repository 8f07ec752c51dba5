import type { Ack, ClientMessage, ClientMessageAck, ClientMessageName } from '@taskflow/events';
import type { AppSocket } from './socket';

/**
 * Sends a message and resolves with its acknowledgement, typed by the contract. socket.io-client types the
 * answer of `timeout(…).emitWithAck(…)` as `any` (its timeout error is prepended to the ack's arguments), so
 * without this the contract's ack types would not reach the hooks.
 */
export function emitWithAck<M extends ClientMessageName>(
  socket: AppSocket,
  event: M,
  message: ClientMessage<M>,
  timeoutMs = 5000,
): Promise<Ack<ClientMessageAck<M>>> {
  // The one cast: TypeScript cannot resolve socket.io's parameter types for a generic message name.
  const timed = socket.timeout(timeoutMs) as unknown as {
    emitWithAck(event: M, message: ClientMessage<M>): Promise<Ack<ClientMessageAck<M>>>;
  };
  return timed.emitWithAck(event, message);
}
