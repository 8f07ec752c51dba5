import { Type, type Static } from '@sinclair/typebox';
import { TASK_STATUSES, TIMELINE_EVENT_TYPES } from './status-machine';

/** Shared building blocks of the public task shape (what a browser may ever see). */
export const TaskId = Type.String({ format: 'uuid', maxLength: 36 });
/** The largest seq a task's timeline can reach: PostgreSQL's `integer` column, which answers an error past it. */
export const MAX_SEQ = 2_147_483_647;
export const Seq = Type.Integer({ minimum: 1, maximum: MAX_SEQ });
export const IsoDate = Type.String({ format: 'date-time' });

/** A union of string literals whose static type stays the literal union (not `string`). */
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const TaskStatusSchema = literals(TASK_STATUSES);
export const TaskEventTypeSchema = literals(TIMELINE_EVENT_TYPES);

export const TASK_TYPE_HINTS = ['auto', 'bug-fix', 'feature', 'refactor', 'test-coverage'] as const;
export const TASK_TYPES = ['bug-fix', 'feature', 'refactor', 'test-coverage'] as const;
export const PRIORITIES = ['normal', 'urgent'] as const;
export const CODING_AGENTS = ['claude-code', 'codex', 'copilot'] as const;
export const PREFERRED_AGENTS = ['auto', ...CODING_AGENTS] as const;

export type TaskTypeHint = (typeof TASK_TYPE_HINTS)[number];
export type TaskType = (typeof TASK_TYPES)[number];
export type Priority = (typeof PRIORITIES)[number];
export type CodingAgent = (typeof CODING_AGENTS)[number];
export type PreferredAgent = (typeof PREFERRED_AGENTS)[number];

/**
 * The pull request's own state, beside the task's status (which stays `pr_open` while
 * the PR is a draft, under review or failing CI). `closed` is a PR closed without
 * merging: the task is then `failed`, but shows "closed-unmerged" rather than a failure.
 */
export const PR_STATES = ['draft', 'ready', 'merged', 'closed'] as const;
/** The latest decisive review (a plain "commented" review does not change it). */
export const REVIEW_STATES = ['approved', 'changes_requested'] as const;
/** CI of the PR's head: `pending` after new commits, then the last completed check's outcome. */
export const CHECKS_STATES = ['pending', 'passing', 'failing'] as const;
export type PrState = (typeof PR_STATES)[number];
export type ReviewState = (typeof REVIEW_STATES)[number];
export type ChecksState = (typeof CHECKS_STATES)[number];
export const PrStateSchema = literals(PR_STATES);
export const ReviewStateSchema = literals(REVIEW_STATES);
export const ChecksStateSchema = literals(CHECKS_STATES);

export const TaskTypeHintSchema = literals(TASK_TYPE_HINTS);
export const TaskTypeSchema = literals(TASK_TYPES);
export const PrioritySchema = literals(PRIORITIES);
export const CodingAgentSchema = literals(CODING_AGENTS);
export const PreferredAgentSchema = literals(PREFERRED_AGENTS);

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const PublicUserSchema = Type.Object(
  { id: Type.String(), username: Type.String(), name: Type.String() },
  { additionalProperties: false },
);
export type PublicUser = Static<typeof PublicUserSchema>;

/** The task as the REST API and `task:state` show it. */
export const PublicTaskSchema = Type.Object(
  {
    id: TaskId,
    title: Type.String(),
    description: Type.String(),
    status: TaskStatusSchema,
    seq: Seq,
    isPrivate: Type.Boolean(),
    orgId: Type.String(),
    /** The creator's display name, as the original specification has it (a string). */
    creator: Type.String(),
    /** The creator as `{ id, username, name }`: what `creator` was before issue 19, 2026-12-06 (docs/websocket.md#migration-notes). */
    createdBy: PublicUserSchema,
    createdAt: IsoDate,
    updatedAt: IsoDate,
    repo: Type.String(),
    taskTypeHint: TaskTypeHintSchema,
    filesHint: Type.Array(Type.String()),
    acceptanceCriteria: Type.Array(Type.String()),
    priority: PrioritySchema,
    preferredAgent: PreferredAgentSchema,
    summary: Nullable(Type.String()),
    taskType: Nullable(TaskTypeSchema),
    recommendedAgent: Nullable(CodingAgentSchema),
    likelyFiles: Type.Array(Type.String()),
    suggestedCriteria: Type.Array(Type.String()),
    clarificationQuestions: Type.Array(Type.String()),
    clarificationAnswers: Type.Array(Type.String()),
    githubIssueNumber: Nullable(Type.Integer()),
    githubIssueUrl: Nullable(Type.String()),
    githubBranch: Nullable(Type.String()),
    prNumber: Nullable(Type.Integer()),
    prUrl: Nullable(Type.String()),
    prTitle: Nullable(Type.String()),
    mergeCommitSha: Nullable(Type.String()),
    mergedAt: Nullable(IsoDate),
    dispatchedAt: Nullable(IsoDate),
    completedAt: Nullable(IsoDate),
    errorMessage: Nullable(Type.String()),
    retryCount: Type.Integer({ minimum: 0 }),
    prState: Nullable(PrStateSchema),
    reviewState: Nullable(ReviewStateSchema),
    checksState: Nullable(ChecksStateSchema),
    checksUrl: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type PublicTask = Static<typeof PublicTaskSchema>;

/** The task's fields that are ISO strings on the wire and `Date`s inside the system. */
export const TASK_DATE_FIELDS = [
  'createdAt',
  'updatedAt',
  'mergedAt',
  'dispatchedAt',
  'completedAt',
] as const satisfies readonly (keyof PublicTask)[];
type TaskDateField = (typeof TASK_DATE_FIELDS)[number];

/**
 * A task as the server, the workers and the store hold it: PublicTaskSchema's shape with `Date`s
 * for its dates. Derived, not redeclared: a field renamed or retyped in the schema is renamed or
 * retyped here, in the store's table type (`TasksTable`) and in every payload builder. Without the
 * wire's `creator` string, which the builders derive from `createdBy` (one source for the name).
 */
export type TaskSource = {
  [K in Exclude<keyof PublicTask, 'creator'>]: K extends TaskDateField ? (null extends PublicTask[K] ? Date | null : Date) : PublicTask[K];
};

/** One row of the dashboard list: enough to render and sort it, nothing more. */
export const DashboardTaskSchema = Type.Object(
  {
    taskId: TaskId,
    seq: Seq,
    title: Type.String(),
    status: TaskStatusSchema,
    isPrivate: Type.Boolean(),
    priority: PrioritySchema,
    repo: Type.String(),
    /** The creator's display name (the specification's string); the whole user in `createdBy`. */
    creator: Type.String(),
    createdBy: PublicUserSchema,
    createdAt: IsoDate,
    updatedAt: IsoDate,
    prUrl: Nullable(Type.String()),
    githubIssueUrl: Nullable(Type.String()),
    prState: Nullable(PrStateSchema),
    reviewState: Nullable(ReviewStateSchema),
    checksState: Nullable(ChecksStateSchema),
  },
  { additionalProperties: false },
);
export type DashboardTask = Static<typeof DashboardTaskSchema>;

/** One entry of a task's timeline. Its payload is the allow-listed status payload of that event. */
export const TimelineEventSchema = Type.Object(
  {
    seq: Seq,
    eventType: TaskEventTypeSchema,
    payload: Type.Record(Type.String(), Type.Unknown()),
    createdAt: IsoDate,
  },
  { additionalProperties: false },
);
export type TimelineEvent = Static<typeof TimelineEventSchema>;

/**
 * Who did it: what the store keeps beside an event's payload under `payload.detail` (libs/store actors.ts), shown on
 * the timeline. Other keys (deliveryId, tracker…) may follow.
 */
export const TimelineEventDetailSchema = Type.Object({
  actor: Type.Optional(Type.String()),
  actorLogin: Type.Optional(Type.String()),
  actorKind: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('github'), Type.Literal('analyzer')])),
  analyzer: Type.Optional(Type.String()),
  /** On an event a GitHub delivery caused: when the API received it (see WebhookReceipt), for webhook → screen. */
  webhookReceivedAt: Type.Optional(IsoDate),
});
export type TimelineEventDetail = Static<typeof TimelineEventDetailSchema>;

/** When the API received the GitHub delivery behind a timeline event (ms), from its payload; undefined for any other. */
export function webhookReceivedAtOf(eventPayload: unknown): number | undefined {
  const at = (eventPayload as { detail?: { webhookReceivedAt?: unknown } } | undefined)?.detail?.webhookReceivedAt;
  const ms = typeof at === 'string' ? Date.parse(at) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

export const TaskCountsSchema = Type.Object(
  {
    activeCount: Type.Integer({ minimum: 0 }),
    completedCount: Type.Integer({ minimum: 0 }),
    failedCount: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type TaskCounts = Static<typeof TaskCountsSchema>;

/**
 * Counts as the wire carries them (dashboard:state, dashboard:task_count_changed, a row's `counts`, GET /api/tasks):
 * with `total` = activeCount + completedCount + failedCount, as the original specification's clients show it.
 */
export const TaskCountsWithTotalSchema = Type.Object(
  { ...TaskCountsSchema.properties, total: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export type TaskCountsWithTotal = Static<typeof TaskCountsWithTotalSchema>;

/** The counts with their total. */
export function withTotal(c: TaskCounts): TaskCountsWithTotal {
  const { activeCount, completedCount, failedCount } = c;
  return { activeCount, completedCount, failedCount, total: activeCount + completedCount + failedCount };
}
