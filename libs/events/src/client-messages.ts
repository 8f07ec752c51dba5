import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { ServerEventPayload } from './server-events';
import { SessionRefreshMessage } from './sessions';
import { MAX_SEQ, Seq, TaskId, type TimelineEvent } from './task.schema';
import { validate, type Validation } from './validation';

/**
 * Client → server messages (docs/architecture.md#the-wire-contract; documented in docs/websocket.md). Each is sent
 * with a Socket.io acknowledgement that answers `Ack`.
 */
const strict = { additionalProperties: false } as const;
export const MAX_RESYNC_TASKS = 100;

export const TaskJoinMessage = Type.Object({ taskId: TaskId }, strict);
export const TaskLeaveMessage = Type.Object({ taskId: TaskId }, strict);
/**
 * `batch: true` (an addition): this socket understands `dashboard:batch`, so under load the node may pack several
 * of its dashboard room's events into one frame. The ack's `batch` says whether the node will.
 */
export const DashboardJoinMessage = Type.Object({ batch: Type.Optional(Type.Boolean()) }, strict);
export const DashboardLeaveMessage = Type.Object({}, strict);
/**
 * `task:shown` (an addition): the live timeline event `seq` of a task this socket follows, one a GitHub webhook
 * caused (its `detail.webhookReceivedAt`), is now on the user's screen. The node times webhook → screen from it
 * (`taskflow_webhook_to_screen_seconds`, the admin view's histogram). Reports of events the node did not deliver,
 * of a task the socket does not follow, or repeated, are not counted.
 */
export const TaskShownMessage = Type.Object({ taskId: TaskId, seq: Seq }, strict);
/**
 * How a resync answers: `emit` (the default, the original specification's behaviour) sends each snapshot result
 * as a `task:state` event too; `ack` answers in the acknowledgement only, for clients that apply its results
 * (`@taskflow/client`, the test mirrors) and would otherwise receive every snapshot twice.
 */
export const RESYNC_REPLIES = ['emit', 'ack'] as const;

/**
 * `since[taskId]` is the last seq the client applied; without it the server answers a snapshot. Without `taskIds`
 * (or with no payload at all, as the specification's clients send it) every task room the socket is in.
 */
export const ResyncRequestedMessage = Type.Object(
  {
    taskIds: Type.Optional(Type.Array(TaskId, { minItems: 1, maxItems: MAX_RESYNC_TASKS, uniqueItems: true })),
    since: Type.Optional(Type.Record(Type.String({ format: 'uuid' }), Type.Integer({ minimum: 0, maximum: MAX_SEQ }))),
    reply: Type.Optional(Type.Union(RESYNC_REPLIES.map((r) => Type.Literal(r)))),
  },
  strict,
);

export const CLIENT_MESSAGES = {
  'task:join': TaskJoinMessage,
  'task:leave': TaskLeaveMessage,
  'dashboard:join': DashboardJoinMessage,
  'dashboard:leave': DashboardLeaveMessage,
  'task:shown': TaskShownMessage,
  resync_requested: ResyncRequestedMessage,
  'session:refresh': SessionRefreshMessage,
} as const satisfies Record<string, TSchema>;

export type ClientMessageName = keyof typeof CLIENT_MESSAGES;
/** Each message's payload, resolved per name: a generic `ClientMessage<M>` stays tied to M instead of widening. */
export type ClientMessages = { [M in ClientMessageName]: Static<(typeof CLIENT_MESSAGES)[M]> };
export type ClientMessage<M extends ClientMessageName> = ClientMessages[M];

/** Checks a payload against message M's schema, typed as M's payload. */
export function validateClientMessage<M extends ClientMessageName>(name: M, payload: unknown): Validation<ClientMessage<M>> {
  // TypeScript cannot follow Static<> through a generic index; the schema is the one ClientMessages maps M to.
  return validate(CLIENT_MESSAGES[name], payload) as Validation<ClientMessage<M>>;
}

export const AckErrorSchema = Type.Object(
  {
    code: Type.String(),
    message: Type.String(),
    /** On INTERNAL only: the id the server logged the failure under, for a support request (the details stay in the log). */
    correlationId: Type.Optional(Type.String()),
  },
  strict,
);
export type AckError = Static<typeof AckErrorSchema>;
export type Ack<T = undefined> = { ok: true; data?: T } | { ok: false; error: AckError };

/** One task's answer to `resync_requested`: the events after `since`, a snapshot when they are too many, or gone. */
export type ResyncResult =
  | { taskId: string; kind: 'events'; events: TimelineEvent[] }
  | { taskId: string; kind: 'state'; state: ServerEventPayload<'task:state'> }
  | { taskId: string; kind: 'not_found' };

/** What each message's acknowledgement carries in `data` when `ok` (`undefined`: nothing). */
export interface ClientMessageAcks {
  'task:join': { seq: number } | undefined;
  'task:leave': undefined;
  'dashboard:join': { count: number; batch?: boolean };
  'dashboard:leave': undefined;
  /** `counted`: whether it was timed (not when the node did not deliver it, or no longer remembers it). */
  'task:shown': { counted: boolean };
  resync_requested: { results: ResyncResult[] };
  'session:refresh': { expiresAt: string };
}
export type ClientMessageAck<M extends ClientMessageName> = ClientMessageAcks[M];

/** Socket.io's typed-events map for client → server messages; the ack is typed per message. */
export type ClientToServerEvents = {
  [M in ClientMessageName]: (message: ClientMessage<M>, ack: (answer: Ack<ClientMessageAck<M>>) => void) => void;
};

export { Seq };
