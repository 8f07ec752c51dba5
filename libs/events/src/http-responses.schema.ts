import { Type, type Static, type TLiteral, type TObject, type TSchema, type TUnion } from '@sinclair/typebox';
import type { AdminOverview, AdminParkedJob } from './admin';
import { NotificationKindSchema, NotificationSchema } from './notifications';
import { QUEUES, type QueueName } from './queues';
import type { StatsGroup, TaskStats } from './stats';
import { TaskConflictSchema } from './idempotency';
import { IsoDate, PublicTaskSchema, TaskCountsWithTotalSchema, TaskId, TimelineEventSchema } from './task.schema';

/**
 * What each HTTP route answers: the server declares these as its routes' response schemas
 * (checked before a response leaves in tests, and published as OpenAPI at /api/docs).
 */
const strict = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Counts = Type.Record(Type.String(), Type.Integer({ minimum: 0 }));

/** Every 4xx/5xx: a stable code, a sentence, and for a schema violation the problems. */
export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'Stable code, e.g. VALIDATION_FAILED, NOT_FOUND, RATE_LIMITED' }),
    message: Type.String(),
    details: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, strict))),
    conflict: Type.Optional(TaskConflictSchema),
    correlationId: Type.Optional(
      Type.String({
        description: 'With an internal error (500): the id its details are logged under on the server; quote it when reporting',
      }),
    ),
  },
  strict,
);
export type ErrorResponse = Static<typeof ErrorResponse>;

/** The user as the login and `me` answers show them. */
export const AccountResponse = Type.Object({ id: TaskId, username: Type.String(), name: Type.String(), orgId: Type.String() }, strict);
export const LoginResponse = Type.Object({ token: Type.String(), user: AccountResponse }, strict);
export const MeResponse = Type.Object({ user: AccountResponse }, strict);

export const SessionResponse = Type.Object(
  {
    user: Type.Object(
      {
        id: TaskId,
        orgId: Type.String(),
        username: Type.String(),
        name: Type.String(),
        role: Type.Union([Type.Literal('member'), Type.Literal('admin'), Type.Literal('operator')], {
          description: "`admin`: of this org (its jobs in /admin); `operator`: runs the cluster (every node, every org's jobs)",
        }),
      },
      strict,
    ),
    csrfToken: Type.String({ description: 'Send it as X-CSRF-Token on every cookie-authenticated write' }),
    expiresAt: IsoDate,
    idleSeconds: Type.Integer({ minimum: 0 }),
  },
  strict,
);
export type SessionResponse = Static<typeof SessionResponse>;

export const TaskResponse = Type.Object({ task: PublicTaskSchema }, strict);
/** Paging of a timeline: whether older events exist, and the `before` that fetches the page preceding this one. */
const TimelinePaging = {
  hasOlder: Type.Boolean(),
  olderCursor: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
    description: 'Pass as `before` to GET /api/tasks/:id/events for the page before this one; null when there is none',
  }),
};
/** The task with the latest events of its timeline (`events`, ascending by seq) and how to page back from them. */
export const TaskWithEventsResponse = Type.Composite(
  [PublicTaskSchema, Type.Object({ events: Type.Array(TimelineEventSchema), ...TimelinePaging })],
  strict,
);
export const TimelinePageResponse = Type.Object({ taskId: TaskId, events: Type.Array(TimelineEventSchema), ...TimelinePaging }, strict);
export const TaskListResponse = Type.Object(
  { tasks: Type.Array(PublicTaskSchema), nextCursor: Nullable(Type.String()), counts: TaskCountsWithTotalSchema },
  strict,
);
/** A repository of the signed-in user's org: the default (oldest) is where a task goes when it names none. */
export const OrgRepoSchema = Type.Object({ fullName: Type.String(), isDefault: Type.Boolean(), isPrivate: Type.Boolean() }, strict);
export type OrgRepo = Static<typeof OrgRepoSchema>;
export const ReposResponse = Type.Object({ repos: Type.Array(OrgRepoSchema) }, strict);
export const RepoResponse = Type.Object({ repo: OrgRepoSchema }, strict);

const Rate = Nullable(Type.Number({ minimum: 0, maximum: 1 }));
const Seconds = Nullable(Type.Number({ minimum: 0 }));
const StatsGroupResponse = Type.Object(
  {
    key: Type.String(),
    total: Type.Integer({ minimum: 0 }),
    byStatus: Counts,
    successRate: Rate,
    failureRate: Rate,
    clarificationRate: Rate,
    medianSecondsToPr: Seconds,
    p95SecondsToPr: Seconds,
    medianSecondsToMerge: Seconds,
    p95SecondsToMerge: Seconds,
  },
  strict,
);
export const StatsResponse = Type.Object(
  { overall: StatsGroupResponse, byRepo: Type.Array(StatsGroupResponse), byAgent: Type.Array(StatsGroupResponse) },
  strict,
);

export const NotificationListResponse = Type.Object(
  { notifications: Type.Array(NotificationSchema), unreadCount: Type.Integer({ minimum: 0 }) },
  strict,
);
export const NotificationsReadResponse = Type.Object(
  { ids: Type.Array(Type.String({ format: 'uuid' })), unreadCount: Type.Integer({ minimum: 0 }) },
  strict,
);
export const NotificationPreferencesResponse = Type.Object({ kinds: Type.Array(NotificationKindSchema) }, strict);
export const FollowResponse = Type.Object({ following: Type.Boolean() }, strict);

export const ClientConfigResponse = Type.Object(
  {
    features: Type.Object({ websocket: Type.Boolean(), dashboard: Type.Boolean(), taskDetail: Type.Boolean() }, strict),
  },
  strict,
);

const UpDown = Type.Union([Type.Literal('up'), Type.Literal('down')]);
const HealthStatus = Type.Union([Type.Literal('ok'), Type.Literal('degraded')]);
const HealthChecks = Type.Object({ database: UpDown, redis: UpDown, socketAdapter: Type.Union([UpDown, Type.Literal('off')]) }, strict);
/** Public GET /api/health: whether the product works, nothing about the node (id, users, errors). */
export const HealthResponse = Type.Object(
  { status: HealthStatus, reasons: Type.Optional(Type.Array(Type.String())), checks: HealthChecks },
  strict,
);
/** GET /health on a node's metrics listener (never the public port): the public answer plus what identifies and loads the node. */
export const NodeHealthResponse = Type.Object(
  {
    status: HealthStatus,
    reasons: Type.Optional(Type.Array(Type.String())),
    node: Type.String(),
    draining: Type.Boolean(),
    uptimeSeconds: Type.Integer({ minimum: 0 }),
    timestamp: IsoDate,
    checks: HealthChecks,
    websocket: Type.Object(
      {
        connectedUsers: Type.Integer({ minimum: 0 }),
        messagesPerSecond: Type.Number({ minimum: 0 }),
        totalErrors: Type.Integer({ minimum: 0 }),
        connectedSockets: Type.Integer({ minimum: 0 }),
      },
      strict,
    ),
  },
  strict,
);
export const ReadyResponse = Type.Object({ ready: Type.Boolean(), problems: Type.Array(Type.String()) }, strict);

export const WebhookResponse = Type.Object(
  {
    status: Type.Union([Type.Literal('pong'), Type.Literal('queued'), Type.Literal('duplicate'), Type.Literal('ignored')]),
    reason: Type.Optional(Type.String()),
    /** With `queued`: the tasks the delivery matches now (0 or 1; absent when the database did not say in time). 0 most likely changes nothing. */
    matched: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
  },
  strict,
);

const QueueNameSchema = Type.Union(Object.values(QUEUES).map((q) => Type.Literal(q))) as unknown as TUnion<TLiteral<QueueName>[]>;
const AdminParkedJobResponse = Type.Object(
  {
    queue: QueueNameSchema,
    id: Type.String(),
    name: Type.String(),
    attemptsMade: Type.Integer({ minimum: 0 }),
    failedReason: Type.String(),
    failedAt: Nullable(IsoDate),
  },
  strict,
);
const Lag = Type.Object({ count: Type.Integer({ minimum: 0 }), p50Ms: Nullable(Type.Number()), p99Ms: Nullable(Type.Number()) }, strict);
const NodeFigures = {
  sockets: Type.Integer({ minimum: 0 }),
  messagesPerSecond: Type.Number({ minimum: 0 }),
  errors: Counts,
  webhooksIgnored: Counts,
  lag: Lag,
};
const QueueCounts = Type.Object(
  { waiting: Type.Integer(), active: Type.Integer(), delayed: Type.Integer(), prioritized: Type.Integer(), failed: Type.Integer() },
  strict,
);
const QueueCountsByQueue = Type.Object(
  Object.fromEntries(Object.values(QUEUES).map((q) => [q, QueueCounts])),
  strict,
) as unknown as TObject<Record<QueueName, typeof QueueCounts>>;
const WebhookHistogram = Type.Object(
  {
    ...Lag.properties,
    buckets: Type.Array(Type.Object({ leMs: Nullable(Type.Number()), count: Type.Integer({ minimum: 0 }) }, strict)),
  },
  strict,
);
export const AdminOverviewResponse = Type.Object(
  {
    generatedAt: IsoDate,
    scope: Type.Union([Type.Literal('cluster'), Type.Literal('org')]),
    cluster: Nullable(Type.Object({ ...NodeFigures, nodes: Type.Integer({ minimum: 0 }) }, strict)),
    nodes: Type.Array(Type.Object({ nodeId: Type.String(), at: IsoDate, startedAt: IsoDate, ...NodeFigures }, strict)),
    queues: Nullable(QueueCountsByQueue),
    webhooks: Type.Object(
      {
        ignored: Counts,
        failed: Nullable(Type.Integer({ minimum: 0 })),
        toScreen: Nullable(WebhookHistogram),
        toBroadcast: Nullable(WebhookHistogram),
      },
      strict,
    ),
    parked: Type.Array(AdminParkedJobResponse),
    parkedTotal: Nullable(Type.Integer({ minimum: 0 })),
  },
  strict,
);
export const AdminParkedJobsResponse = Type.Object({ jobs: Type.Array(AdminParkedJobResponse) }, strict);
export const AdminReplayedResponse = Type.Object(
  { replayed: Type.Array(Type.Object({ queue: QueueNameSchema, id: Type.String() }, strict)) },
  strict,
);

// The stats and operations answers are also declared as interfaces (stats.ts, admin.ts): keep both in step.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const inStep: [
  Same<Static<typeof StatsResponse>, TaskStats>,
  Same<Static<typeof StatsGroupResponse>, StatsGroup>,
  Same<Static<typeof AdminOverviewResponse>, AdminOverview>,
  Same<Static<typeof AdminParkedJobResponse>, AdminParkedJob>,
] = [true, true, true, true];
void inStep;
