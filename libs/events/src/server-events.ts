import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { SessionEndedPayload } from './sessions';
import { LiveOffPayload } from './rollout';
import { NotificationCreatedPayload, NotificationReadPayload } from './notifications';
import {
  ChecksStateSchema,
  CodingAgentSchema,
  DashboardTaskSchema,
  IsoDate,
  PublicTaskSchema,
  PrStateSchema,
  PublicUserSchema,
  ReviewStateSchema,
  Seq,
  TaskCountsWithTotalSchema,
  TaskId,
  TaskStatusSchema,
  TaskTypeSchema,
  TimelineEventSchema,
} from './task.schema';

/**
 * Server → client events (docs/architecture.md#the-wire-contract; documented in docs/websocket.md). Every task-scoped
 * payload carries `taskId` and `seq`; clients apply seq = last + 1 and resync on a gap.
 */
const strict = { additionalProperties: false } as const;
const S = <T extends string>(status: T) => Type.Literal(status);
const Url = Type.String({ maxLength: 2048 });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** `creator`: the creator's display name (the specification's string); `createdBy`: the user (docs/websocket.md#migration-notes). */
export const TaskCreatedPayload = Type.Object(
  {
    taskId: TaskId,
    seq: Seq,
    title: Type.String(),
    creator: Type.String(),
    createdBy: PublicUserSchema,
    status: S('received'),
    createdAt: IsoDate,
  },
  strict,
);
export const TaskAnalyzingPayload = Type.Object({ taskId: TaskId, seq: Seq, status: S('analyzing') }, strict);
export const TaskClarificationNeededPayload = Type.Object(
  { taskId: TaskId, seq: Seq, status: S('needs_clarification'), questions: Type.Array(Type.String()) },
  strict,
);
/** Answers received: the task goes back to analysis (the analyzer runs again with the answers). */
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
    // The analysis this dispatch acted on, so a page open since before shows it without a reload (additive).
    summary: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    taskType: Type.Optional(Type.Union([TaskTypeSchema, Type.Null()])),
    recommendedAgent: Type.Optional(Type.Union([CodingAgentSchema, Type.Null()])),
    likelyFiles: Type.Optional(Type.Array(Type.String())),
  },
  strict,
);
export const TaskCodingPayload = Type.Object({ taskId: TaskId, seq: Seq, status: S('coding') }, strict);
export const TaskPrOpenedPayload = Type.Object(
  {
    taskId: TaskId,
    seq: Seq,
    status: S('pr_open'),
    prNumber: Type.Integer(),
    prUrl: Url,
    prTitle: Type.String(),
    prState: Type.Optional(PrStateSchema),
  },
  strict,
);
export const TaskPrMergedPayload = Type.Object(
  { taskId: TaskId, seq: Seq, status: S('merged'), mergeCommitSha: Type.String(), mergedAt: IsoDate, prState: Type.Optional(S('merged')) },
  strict,
);
/** `errorMessage`: the reason, shown live. */
export const TaskPrClosedPayload = Type.Object(
  {
    taskId: TaskId,
    seq: Seq,
    status: S('failed'),
    prNumber: Type.Integer(),
    errorMessage: Type.String(),
    prState: Type.Optional(S('closed')),
  },
  strict,
);
export const TaskFailedPayload = Type.Object({ taskId: TaskId, seq: Seq, status: S('failed'), errorMessage: Type.String() }, strict);
export const TaskCancelledPayload = Type.Object({ taskId: TaskId, seq: Seq, status: S('cancelled') }, strict);
export const TaskRetriedPayload = Type.Object(
  { taskId: TaskId, seq: Seq, status: S('received'), retryCount: Type.Integer({ minimum: 1 }) },
  strict,
);

/*
 * Events that do not change the status (TASK_UPDATE_EVENT_TYPES). Each carries the task's
 * unchanged `status` and the task fields it changed, in the task's own field names.
 */
/** The analyzer's answer (`llm_response` in the timeline), as soon as it is in. */
export const TaskLlmResponsePayload = Type.Object(
  {
    taskId: TaskId,
    seq: Seq,
    status: TaskStatusSchema,
    analyzer: Type.String(),
    summary: Type.String(),
    taskType: TaskTypeSchema,
    recommendedAgent: CodingAgentSchema,
    likelyFiles: Type.Array(Type.String()),
    suggestedCriteria: Type.Array(Type.String()),
    questions: Type.Array(Type.String()),
  },
  strict,
);
/** The PR became a draft or ready for review, was reopened, or got new commits (CI starts over). */
export const TaskPrUpdatedPayload = Type.Object(
  {
    taskId: TaskId,
    seq: Seq,
    status: TaskStatusSchema,
    action: Type.Union([
      Type.Literal('converted_to_draft'),
      Type.Literal('ready_for_review'),
      Type.Literal('reopened'),
      Type.Literal('synchronize'),
    ]),
    prNumber: Type.Integer(),
    prUrl: Url,
    prState: Nullable(PrStateSchema),
    reviewState: Nullable(ReviewStateSchema),
    checksState: Nullable(ChecksStateSchema),
  },
  strict,
);
export const REVIEW_OUTCOMES = ['approved', 'changes_requested', 'commented'] as const;
export const TaskReviewSubmittedPayload = Type.Object(
  {
    taskId: TaskId,
    seq: Seq,
    status: TaskStatusSchema,
    prNumber: Type.Integer(),
    outcome: Type.Union(REVIEW_OUTCOMES.map((o) => Type.Literal(o))),
    reviewer: Type.String(),
    url: Url,
    reviewState: Nullable(ReviewStateSchema),
  },
  strict,
);
export const TaskChecksCompletedPayload = Type.Object(
  {
    taskId: TaskId,
    seq: Seq,
    status: TaskStatusSchema,
    prNumber: Type.Integer(),
    checkName: Type.String(),
    checksState: ChecksStateSchema,
    checksUrl: Url,
  },
  strict,
);
/** A comment on the task's issue or PR (issue, PR and review comments, live). */
export const TaskCommentAddedPayload = Type.Object(
  {
    taskId: TaskId,
    seq: Seq,
    status: TaskStatusSchema,
    on: Type.Union([Type.Literal('issue'), Type.Literal('pull_request'), Type.Literal('review')]),
    number: Type.Integer(),
    author: Type.String(),
    body: Type.String({ maxLength: 4000 }),
    url: Url,
  },
  strict,
);

export const TaskEventAddedPayload = Type.Object({ taskId: TaskId, seq: Seq, event: TimelineEventSchema }, strict);

/** The release that stops sending `task:state`'s nested `task` (docs/websocket.md#migration-notes). */
export const TASK_STATE_NESTED_TASK_REMOVED_IN = '0.2.0';

/**
 * Snapshot of one task at `seq`; live events from seq + 1 continue it without a hole. `events` are the timeline's
 * latest (a page, ascending by seq); with `hasOlder`, `GET /api/tasks/:id/events?before=<olderCursor>` reads the
 * page before them (additive: a snapshot without these fields is the whole timeline).
 *
 * The task's own fields (PublicTaskSchema) are at the top level, as the original specification's clients read
 * the payload as the task. `task` repeats them for the clients written before that: deprecated, removed in 0.2.0.
 */
export const TaskStatePayload = Type.Object(
  {
    ...PublicTaskSchema.properties,
    taskId: TaskId,
    seq: Seq,
    /** @deprecated Read the fields at the top level; `task` is removed in 0.2.0 (TASK_STATE_NESTED_TASK_REMOVED_IN). */
    task: Type.Object(PublicTaskSchema.properties, {
      ...strict,
      deprecated: true,
      description: `Deprecated: the same task as the top-level fields; removed in ${TASK_STATE_NESTED_TASK_REMOVED_IN}`,
    }),
    events: Type.Array(TimelineEventSchema),
    hasOlder: Type.Optional(Type.Boolean()),
    olderCursor: Type.Optional(Nullable(Seq)),
  },
  strict,
);

export const DashboardStatePayload = Type.Object(
  {
    tasks: Type.Array(DashboardTaskSchema),
    /** Everything the viewer sees: the org's shared tasks plus the viewer's own private ones. */
    counts: TaskCountsWithTotalSchema,
    /** The viewer's private tasks alone (included in `counts`), so live updates of either part add up. */
    privateCounts: TaskCountsWithTotalSchema,
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);
/**
 * `scope: 'shared'` (to the org room): the org's non-private tasks. `scope: 'private'` (to a creator's own room):
 * that user's private tasks. A dashboard shows shared + private.
 */
export const DashboardTaskCountChangedPayload = Type.Object(
  { ...TaskCountsWithTotalSchema.properties, scope: Type.Union([Type.Literal('shared'), Type.Literal('private')]) },
  strict,
);
/**
 * The row, plus (an addition) the counts of its room as of this change — the same content as the
 * `dashboard:task_count_changed` it replaces, so one frame carries the whole change. That event is still
 * sent, but only when the counts differ from the last ones sent to the room.
 */
export const DashboardTaskListUpdatedPayload = Type.Object(
  { ...DashboardTaskSchema.properties, counts: Type.Optional(DashboardTaskCountChangedPayload) },
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
 * Sent by a node to its own sockets when its Redis subscription was interrupted and restored
 * (`subscription_interrupted`: broadcasts published meanwhile never reached it), or to one socket that read too
 * slowly and was skipped by broadcasts until its buffer drained (`fell_behind`, WEBSOCKET_MAX_BUFFERED_BYTES). Either
 * way the client resyncs its joined tasks (since its last seq) and re-joins its dashboard. Not task-scoped, no seq.
 */
export const SyncRequiredPayload = Type.Object(
  { reason: Type.Union([Type.Literal('subscription_interrupted'), Type.Literal('fell_behind')]) },
  strict,
);

/**
 * Sent by a node to one of its sockets just before it moves it: the node holds more than its share of the cluster's
 * sockets (after a scale-out, new nodes start empty) and sheds a few per second. Reconnect now, through the load
 * balancer, to whichever node it picks; then resync as after any reconnect. A client that ignores it is
 * disconnected (transport close) a few seconds later and reconnects the same way. Not task-scoped, no seq.
 */
export const ConnectionReconnectPayload = Type.Object({ reason: Type.Literal('rebalance') }, strict);

/**
 * Events a node may pack into one `dashboard:batch` frame for a socket that asked for it (`dashboard:join`
 * with `batch: true`): what goes to a dashboard room (org or creator's own), never a task room's events.
 */
export const BATCHED_EVENTS = ['task:created', 'dashboard:task_list_updated', 'dashboard:task_count_changed'] as const;
export type BatchedEventName = (typeof BATCHED_EVENTS)[number];

/**
 * Several dashboard-room events in one frame, in the order the node received them (an addition, only for sockets
 * that joined with `batch: true`). A row superseded by a later row of the same task inside the batch is left out,
 * as is a count event superseded by a later one of the same scope: a row carries the task's latest state.
 */
export const DashboardBatchPayload = Type.Object(
  {
    items: Type.Array(
      Type.Union([
        Type.Object({ event: Type.Literal('task:created'), payload: TaskCreatedPayload }, strict),
        Type.Object({ event: Type.Literal('dashboard:task_list_updated'), payload: DashboardTaskListUpdatedPayload }, strict),
        Type.Object({ event: Type.Literal('dashboard:task_count_changed'), payload: DashboardTaskCountChangedPayload }, strict),
      ]),
      { minItems: 1 },
    ),
  },
  strict,
);

export const ErrorPayload = Type.Object(
  { message: Type.String(), code: Type.Optional(Type.String()), correlationId: Type.Optional(Type.String()) },
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
  'task:llm_response': TaskLlmResponsePayload,
  'task:pr_updated': TaskPrUpdatedPayload,
  'task:review_submitted': TaskReviewSubmittedPayload,
  'task:checks_completed': TaskChecksCompletedPayload,
  'task:comment_added': TaskCommentAddedPayload,
  'task:event_added': TaskEventAddedPayload,
  'task:state': TaskStatePayload,
  'dashboard:state': DashboardStatePayload,
  'dashboard:task_list_updated': DashboardTaskListUpdatedPayload,
  'dashboard:task_count_changed': DashboardTaskCountChangedPayload,
  'dashboard:batch': DashboardBatchPayload,
  'presence:updated': PresenceUpdatedPayload,
  'sync:required': SyncRequiredPayload,
  'connection:reconnect': ConnectionReconnectPayload,
  'notification:created': NotificationCreatedPayload,
  'notification:read': NotificationReadPayload,
  'session:ended': SessionEndedPayload,
  'live:off': LiveOffPayload,
  error: ErrorPayload,
} as const satisfies Record<string, TSchema>;

export type ServerEventName = keyof typeof SERVER_EVENTS;
export type ServerEventPayload<E extends ServerEventName> = Static<(typeof SERVER_EVENTS)[E]>;

/** Socket.io's typed-events map for `Server<…, ServerToClientEvents>` and `Socket<ServerToClientEvents>`. */
export type ServerToClientEvents = { [E in ServerEventName]: (payload: ServerEventPayload<E>) => void };

/**
 * One broadcast to a room: the event name picks the payload type, so a worker, the server and the test
 * emitters can only send what the contract says (a discriminated union on `event`).
 */
export type Emit = { [E in ServerEventName]: { room: string; event: E; payload: ServerEventPayload<E> } }[ServerEventName];
