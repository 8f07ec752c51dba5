import { randomUUID } from 'node:crypto';
import { taskIdOfRoom, validateClientMessage, type Ack, type ClientMessageAck, type ClientMessageName } from '@taskflow/events';
import { AppError, type Logger } from '@taskflow/platform';
import { isDatabaseUnavailable } from '../../http/database-unavailable';
import { isClientMessage, unknownEventMessage } from './client-event';
import { HANDLERS, type HandlerContext } from './handlers';
import type { RealtimeMetrics } from '../metrics';
import { messageCost, type SocketRateLimits } from './rate-limit';
import type { TaskflowSocket } from '../transport/socket-types';

export interface MessageDispatchDeps {
  limits: SocketRateLimits;
  metrics: RealtimeMetrics;
  logger: Logger;
  /** What every handler is given besides the socket. */
  context: Omit<HandlerContext, 'socket'>;
}

/** Handles one client frame (its event name and arguments); answers every expected failure itself. */
export type MessageDispatch = (socket: TaskflowSocket, event: unknown, args: unknown[]) => Promise<void>;

/**
 * Each message is checked to be one of ours, rate-limited, validated against the
 * contract and handled, and answered by an acknowledgement `{ ok, data? | error? }`
 * (a failure is also emitted as `error`).
 */
export function createMessageDispatch({ limits, metrics, logger, context }: MessageDispatchDeps): MessageDispatch {
  // Sockets that made their first dashboard join: that one is free against the user's budget (see SocketRateLimits).
  const dashboardJoined = new WeakSet<TaskflowSocket>();

  return async (socket, event, args) => {
    const { payload, ack } = splitAck(args);
    const fail = (code: string, message: string, correlationId?: string) => {
      metrics.recordError(code);
      const error = correlationId ? { code, message, correlationId } : { code, message };
      socket.emit('error', error);
      ack?.({ ok: false, error });
    };
    const known = isClientMessage(event);
    metrics.received.inc({ event: known ? event : 'unknown' });
    if (!known) return fail('UNKNOWN_EVENT', unknownEventMessage(event));
    try {
      const cost = messageCost(event, payload, event === 'resync_requested' ? countTaskRooms(socket) : 0);
      const firstJoin = event === 'dashboard:join' && !dashboardJoined.has(socket);
      if (firstJoin) dashboardJoined.add(socket);
      if (!(await limits.allow(socket.id, socket.data.user.id, cost, firstJoin ? 0 : cost)))
        return fail('RATE_LIMITED', 'Too many messages; slow down');
      const answer = await dispatch(event, { socket, ...context }, payload);
      if (!answer.ok) return fail(answer.error.code, answer.error.message);
      ack?.(answer);
    } catch (err) {
      if (err instanceof AppError) return fail(err.code, err.message);
      // PostgreSQL restarting or out of connections is not a bug: the client retries (RETRYABLE_ACK_CODES), as HTTP's 503.
      if (isDatabaseUnavailable(err)) {
        logger.warn({ err, event, userId: socket.data.user.id }, 'socket handler: database unavailable');
        return fail('UNAVAILABLE', 'The service is briefly unavailable; retry shortly');
      }
      // The error's own text (SQL, a library's) stays in the log; the client gets a stable sentence and the id to quote.
      const correlationId = randomUUID();
      logger.error({ err, event, userId: socket.data.user.id, correlationId }, 'socket handler failed');
      fail('INTERNAL', 'Something went wrong on our side', correlationId);
    }
  };
}

/** Validates a payload against the message's schema and runs the message's handler with it. */
async function dispatch<N extends ClientMessageName>(name: N, ctx: HandlerContext, payload: unknown): Promise<Ack<ClientMessageAck<N>>> {
  const checked = validateClientMessage(name, payload ?? {});
  if (!checked.ok) {
    const message = `Invalid ${name}: ${checked.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`;
    return { ok: false, error: { code: 'INVALID_PAYLOAD', message } };
  }
  const data = await HANDLERS[name](ctx, checked.value);
  return data === undefined ? { ok: true } : { ok: true, data };
}

function countTaskRooms(socket: TaskflowSocket): number {
  let n = 0;
  for (const room of socket.rooms) if (taskIdOfRoom(room) !== undefined) n += 1;
  return n;
}

/** A frame's arguments: the payload, and the acknowledgement callback when the client asked for one (always last). */
function splitAck(args: readonly unknown[]): { payload: unknown; ack?: (answer: Ack<unknown>) => void } {
  const last = args[args.length - 1];
  if (!isAckCallback(last)) return { payload: args[0] };
  return { payload: args.length > 1 ? args[0] : undefined, ack: last };
}

function isAckCallback(value: unknown): value is (answer: Ack<unknown>) => void {
  return typeof value === 'function';
}
