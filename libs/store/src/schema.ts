import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { NotificationKind, TaskSource, TimelineEventType } from '@taskflow/events';

/** Kysely's view of the database (camelCase; CamelCasePlugin maps to snake_case columns). */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface OrgsTable {
  id: Generated<string>;
  slug: string;
  name: string;
  createdAt: Timestamp;
}

export interface UsersTable {
  id: Generated<string>;
  orgId: string;
  username: string;
  name: string;
  passwordHash: string;
  createdAt: Timestamp;
  role: ColumnType<UserRole, UserRole | undefined, UserRole>;
  /** Bumped to revoke every Bearer token issued before (their `ver` claim); migration 0006. */
  tokenVersion: Generated<number>;
  /** Set while an admin has disabled the account. */
  disabledAt: NullableTimestamp;
}

/** `admin`: of the user's own org; `operator`: runs the cluster, sees every org's jobs, administers no org (0007). */
export type UserRole = 'member' | 'admin' | 'operator';

/** The GitHub repositories an org owns (migration 0005); `fullName` is unique case-insensitively. */
export interface OrgReposTable {
  orgId: string;
  fullName: string;
  isPrivate: ColumnType<boolean, boolean | undefined, boolean>;
  createdAt: Timestamp;
}

export interface SessionsTable {
  id: Generated<string>;
  userId: string;
  tokenHash: Buffer;
  createdAt: Timestamp;
  lastSeenAt: Timestamp;
  expiresAt: Timestamp;
  revokedAt: NullableTimestamp;
}

/** Names `K` of `T`, checked: a name that is not (or no longer) a key of `T` fails the build. */
type KeysOf<T, K extends keyof T> = K;

/** Task columns the database fills in when an insert leaves them out. */
type DefaultedTaskColumn = KeysOf<
  TaskSource,
  'likelyFiles' | 'suggestedCriteria' | 'clarificationQuestions' | 'clarificationAnswers' | 'retryCount'
>;

/**
 * The task's columns, derived from the contract's TaskSource (itself derived from PublicTaskSchema):
 * the same names and types, with Kysely's insert/update rules. The creator (`createdBy`) is a join, not a column.
 */
type TaskColumns = {
  [K in Exclude<keyof TaskSource, 'createdBy'>]: K extends 'id'
    ? Generated<string>
    : TaskSource[K] extends Date
      ? Timestamp
      : TaskSource[K] extends Date | null
        ? NullableTimestamp
        : K extends DefaultedTaskColumn
          ? ColumnType<TaskSource[K], TaskSource[K] | undefined, TaskSource[K]>
          : TaskSource[K];
};

export interface TasksTable extends TaskColumns {
  creatorId: string;
  /** Raw analysis output and analyzer label; internal, never sent to browsers. */
  analysis: ColumnType<unknown, string | null | undefined, string | null>;
}

export interface TaskEventsTable {
  taskId: string;
  seq: number;
  eventType: TimelineEventType;
  payload: Json<Record<string, unknown>>;
  actorId: string | null;
  createdAt: Timestamp;
  /** Outbox: null until the event was handed to the broadcaster. */
  publishedAt: NullableTimestamp;
  /** The W3C traceparent of the span that committed it (migration 0011), which the publish continues; null while tracing is off. */
  traceParent: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface WebhookDeliveriesTable {
  deliveryId: string;
  event: string;
  receivedAt: Timestamp;
  taskId: string | null;
  outcome: string;
}

export interface TaskFollowsTable {
  userId: string;
  taskId: string;
  createdAt: Timestamp;
}

export interface NotificationsTable {
  id: Generated<string>;
  userId: string;
  taskId: string;
  seq: number;
  kind: NotificationKind;
  message: string;
  createdAt: Timestamp;
  readAt: NullableTimestamp;
}

export interface NotificationPreferencesTable {
  userId: string;
  kinds: NotificationKind[];
  updatedAt: Timestamp;
}

/** Who gets live updates (migration 0010): the one row of cluster-wide settings. */
export interface LiveRolloutTable {
  id: ColumnType<boolean, never, never>;
  enabled: boolean;
  percent: number;
  updatedAt: Timestamp;
}

/** An org forced live (true) or polling (false); no row: the percentage decides. */
export interface OrgLiveOverridesTable {
  orgId: string;
  live: boolean;
  updatedAt: Timestamp;
}

/** A user opted in (true) or out (false). */
export interface UserLiveOverridesTable {
  userId: string;
  live: boolean;
  updatedAt: Timestamp;
}

/** Every rollout change: who, when, which setting (of which org or user), old → new. */
export interface LiveRolloutAuditTable {
  id: Generated<string>;
  at: Timestamp;
  actorId: string | null;
  actorUsername: string;
  setting: 'enabled' | 'percent' | 'org' | 'user';
  orgId: string | null;
  subjectId: string | null;
  oldValue: string;
  newValue: string;
}

/** The first answer to a user's Idempotency-Key (migration 0009); a row past `expiresAt` counts as absent. */
export interface IdempotencyKeysTable {
  userId: string;
  key: string;
  fingerprint: string;
  statusCode: number;
  response: Json<unknown>;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}

export interface Database {
  orgs: OrgsTable;
  users: UsersTable;
  tasks: TasksTable;
  taskEvents: TaskEventsTable;
  webhookDeliveries: WebhookDeliveriesTable;
  taskFollows: TaskFollowsTable;
  notifications: NotificationsTable;
  notificationPreferences: NotificationPreferencesTable;
  sessions: SessionsTable;
  orgRepos: OrgReposTable;
  idempotencyKeys: IdempotencyKeysTable;
  liveRollout: LiveRolloutTable;
  orgLiveOverrides: OrgLiveOverridesTable;
  userLiveOverrides: UserLiveOverridesTable;
  liveRolloutAudit: LiveRolloutAuditTable;
}

export type UserRow = Selectable<UsersTable>;
export type OrgRow = Selectable<OrgsTable>;
export type TaskRow = Selectable<TasksTable>;
export type TaskEventRow = Selectable<TaskEventsTable>;
export type NewTaskRow = Insertable<TasksTable>;
export type TaskUpdate = Updateable<TasksTable>;
