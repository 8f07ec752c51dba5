import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type {
  ChecksState,
  CodingAgent,
  NotificationKind,
  PreferredAgent,
  PrState,
  Priority,
  ReviewState,
  TaskStatus,
  TaskType,
  TaskTypeHint,
  TimelineEventType,
} from '@taskflow/events';

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
}

export type UserRole = 'member' | 'admin';

export interface SessionsTable {
  id: Generated<string>;
  userId: string;
  tokenHash: Buffer;
  createdAt: Timestamp;
  lastSeenAt: Timestamp;
  expiresAt: Timestamp;
  revokedAt: NullableTimestamp;
}

export interface TasksTable {
  id: Generated<string>;
  orgId: string;
  creatorId: string;
  title: string;
  description: string;
  status: TaskStatus;
  seq: number;
  isPrivate: boolean;
  repo: string;
  taskTypeHint: TaskTypeHint;
  filesHint: string[];
  acceptanceCriteria: string[];
  priority: Priority;
  preferredAgent: PreferredAgent;
  summary: string | null;
  taskType: TaskType | null;
  recommendedAgent: CodingAgent | null;
  likelyFiles: ColumnType<string[], string[] | undefined, string[]>;
  suggestedCriteria: ColumnType<string[], string[] | undefined, string[]>;
  clarificationQuestions: ColumnType<string[], string[] | undefined, string[]>;
  clarificationAnswers: ColumnType<string[], string[] | undefined, string[]>;
  /** Raw analysis output and analyzer label; internal, never sent to browsers. */
  analysis: ColumnType<unknown, string | null | undefined, string | null>;
  githubIssueNumber: number | null;
  githubIssueUrl: string | null;
  githubBranch: string | null;
  prNumber: number | null;
  prUrl: string | null;
  prTitle: string | null;
  mergeCommitSha: string | null;
  mergedAt: NullableTimestamp;
  dispatchedAt: NullableTimestamp;
  completedAt: NullableTimestamp;
  errorMessage: string | null;
  retryCount: ColumnType<number, number | undefined, number>;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  prState: ColumnType<PrState | null, PrState | null | undefined, PrState | null>;
  reviewState: ColumnType<ReviewState | null, ReviewState | null | undefined, ReviewState | null>;
  checksState: ColumnType<ChecksState | null, ChecksState | null | undefined, ChecksState | null>;
  checksUrl: ColumnType<string | null, string | null | undefined, string | null>;
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
}

export type UserRow = Selectable<UsersTable>;
export type OrgRow = Selectable<OrgsTable>;
export type TaskRow = Selectable<TasksTable>;
export type TaskEventRow = Selectable<TaskEventsTable>;
export type NewTaskRow = Insertable<TasksTable>;
export type TaskUpdate = Updateable<TasksTable>;
