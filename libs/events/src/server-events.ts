import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  DashboardTaskSchema,
  IsoDate,
  PublicTaskSchema,
  PublicUserSchema,
  Seq,
  TaskCountsSchema,
  TaskId,
  TimelineEventSchema,
} from './task.schema';

/**
 * Server → client events (spec §4.1–4.3, Appendix A, DESIGN §4). Every task-scoped
 * payload carries `taskId` and `seq`; clients apply seq = last + 1 and resync on a gap.
 */
const strict = { additionalProperties: false } as const;
const S = <T extends string>(status: T) => Type.Literal(status);
const Url = Type.String({ maxLength: 2048 });

export const TaskCreatedPayload = Type.Object(
  { taskId: TaskId, seq: Seq, title: Type.String(), creator: PublicUserSchema, status: S('received'), createdAt: IsoDate },
  strict,
);
export const TaskAnalyzingPayload = Type.Object({ taskId: TaskId, seq: Seq, status: S('analyzing') }, strict);
export const TaskClarificationNeededPayload = Type.Object(
  { taskId: TaskId, seq: Seq, status: S('needs_clarification'), questions: Type.Array(Type.String()) },
  strict,
);
/** Answers received: the task goes back to analysis (DESIGN: re-analysis after clarification). */
export const TaskClarifiedPayload = Type.Object(
  { taskId: TaskId, seq: Seq, status: S('analyzing'), clarificationAnswers: Type.Array(Type.String()) },
  strict,
);
export const TaskDispatchedPayload = Type.Object(
  {
    taskId: TaskId,
    seq: Seq,
    status: S('dispatched'),
    issueNumber: Type.Integer(),
    issueUrl: Url,
    githubBranch: Type.String(),
  },
  strict,
);
export const TaskCodingPayload = Type.Object({ taskId: TaskId, seq: Seq, status: S('coding') }, strict);
export const TaskPrOpenedPayload = Type.Object(
  { taskId: TaskId, seq: Seq, status: S('pr_open'), prNumber: Type.Integer(), prUrl: Url, prTitle: Type.String() },
  strict,
);
export const TaskPrMergedPayload = Type.Object(
  { taskId: TaskId, seq: Seq, status: S('merged'), mergeCommitSha: Type.String(), mergedAt: IsoDate },
  strict,
);
/** `errorMessage` is an addition to the spec's payload (additive): the reason, shown live. */
export const TaskPrClosedPayload = Type.Object(
  { taskId: TaskId, seq: Seq, status: S('failed'), prNumber: Type.Integer(), errorMessage: Type.String() },
  strict,
);
export const TaskFailedPayload = Type.Object(
  { taskId: TaskId, seq: Seq, status: S('failed'), errorMessage: Type.String() },
  strict,
);
export const TaskCancelledPayload = Type.Object({ taskId: TaskId, seq: Seq, status: S('cancelled') }, strict);
export const TaskRetriedPayload = Type.Object(
  { taskId: TaskId, seq: Seq, status: S('received'), retryCount: Type.Integer({ minimum: 1 }) },
  strict,
);

export const TaskEventAddedPayload = Type.Object({ taskId: TaskId, seq: Seq, event: TimelineEventSchema }, strict);

/** Snapshot of one task at `seq`; live events from seq + 1 continue it without a hole. */
export const TaskStatePayload = Type.Object(
  { taskId: TaskId, seq: Seq, task: PublicTaskSchema, events: Type.Array(TimelineEventSchema) },
  strict,
);

export const DashboardStatePayload = Type.Object(
  {
    tasks: Type.Array(DashboardTaskSchema),
    /** Everything the viewer sees: the org's shared tasks plus the viewer's own private ones. */
    counts: TaskCountsSchema,
    /** The viewer's private tasks alone (included in `counts`), so live updates of either part add up. */
    privateCounts: TaskCountsSchema,
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);
export const DashboardTaskListUpdatedPayload = DashboardTaskSchema;
/**
 * `scope: 'shared'` (to the org room): the org's non-private tasks. `scope: 'private'` (to a creator's own room):
 * that user's private tasks. A dashboard shows shared + private. (`scope` is an addition to the spec's payload.)
 */
export const DashboardTaskCountChangedPayload = Type.Object(
  { ...TaskCountsSchema.properties, scope: Type.Union([Type.Literal('shared'), Type.Literal('private')]) },
  strict,
);

export const PresenceUpdatedPayload = Type.Object(
  {
    taskId: TaskId,
    viewers: Type.Array(Type.Object({ userId: Type.String(), name: Type.String() }, strict)),
  },
  strict,
);

/**
 * Sent by a node to its own sockets when its Redis subscription was interrupted and restored: broadcasts
 * published meanwhile never reached it, so every client resyncs its joined tasks (since its last seq) and
 * re-joins its dashboard. Not task-scoped, carries no seq.
 */
export const SyncRequiredPayload = Type.Object({ reason: Type.Union([Type.Literal('subscription_interrupted')]) }, strict);

export const ErrorPayload = Type.Object(
  { message: Type.String(), code: Type.Optional(Type.String()) },
  strict,
);

/** The registry: wire name → payload schema. Names never change without a migration note. */
export const SERVER_EVENTS = {
  'task:created': TaskCreatedPayload,
  'task:analyzing': TaskAnalyzingPayload,
  'task:clarification_needed': TaskClarificationNeededPayload,
  'task:clarified': TaskClarifiedPayload,
  'task:dispatched': TaskDispatchedPayload,
  'task:coding': TaskCodingPayload,
  'task:pr_opened': TaskPrOpenedPayload,
  'task:pr_merged': TaskPrMergedPayload,
  'task:pr_closed': TaskPrClosedPayload,
  'task:failed': TaskFailedPayload,
  'task:cancelled': TaskCancelledPayload,
  'task:retried': TaskRetriedPayload,
  'task:event_added': TaskEventAddedPayload,
  'task:state': TaskStatePayload,
  'dashboard:state': DashboardStatePayload,
  'dashboard:task_list_updated': DashboardTaskListUpdatedPayload,
  'dashboard:task_count_changed': DashboardTaskCountChangedPayload,
  'presence:updated': PresenceUpdatedPayload,
  'sync:required': SyncRequiredPayload,
  error: ErrorPayload,
} as const satisfies Record<string, TSchema>;

export type ServerEventName = keyof typeof SERVER_EVENTS;
export type ServerEventPayload<E extends ServerEventName> = Static<(typeof SERVER_EVENTS)[E]>;

/** Socket.io's typed-events map for `Server<…, ServerToClientEvents>` and `Socket<ServerToClientEvents>`. */
export type ServerToClientEvents = { [E in ServerEventName]: (payload: ServerEventPayload<E>) => void };
