import { Type, type Static } from '@sinclair/typebox';
import type { TimelineEventType } from './status-machine';
import { IsoDate, Seq, TaskId } from './task.schema';

/**
 * User notifications: what a task's creator (and its followers) hear about, kept per
 * user and pushed live to `user:<id>` (every tab and device of that user).
 */
const strict = { additionalProperties: false } as const;

export const NOTIFICATION_KINDS = ['needs_clarification', 'pr_ready', 'changes_requested', 'ci_failed', 'merged', 'failed'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export const NotificationKindSchema = Type.Union(NOTIFICATION_KINDS.map((k) => Type.Literal(k)));

export const NotificationSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    kind: NotificationKindSchema,
    taskId: TaskId,
    taskTitle: Type.String(),
    /** The task event that caused it. */
    seq: Seq,
    message: Type.String(),
    createdAt: IsoDate,
    readAt: Type.Union([IsoDate, Type.Null()]),
  },
  strict,
);
export type Notification = Static<typeof NotificationSchema>;

const UnreadCount = Type.Integer({ minimum: 0 });

/** To `user:<id>`: a new notification and that user's unread count after it. */
export const NotificationCreatedPayload = Type.Object({ notification: NotificationSchema, unreadCount: UnreadCount }, strict);
/** To `user:<id>`: notifications marked read (in any tab), so every other tab updates its bell. */
export const NotificationReadPayload = Type.Object(
  { ids: Type.Array(Type.String({ format: 'uuid' })), all: Type.Boolean(), unreadCount: UnreadCount },
  strict,
);

/** Which kind of notification an event raises, if any (a typed map, one entry per event type that notifies). */
const KIND_OF_EVENT: Partial<Record<TimelineEventType, (payload: Record<string, unknown>) => NotificationKind | undefined>> = {
  clarification_needed: () => 'needs_clarification',
  pr_opened: (p) => (p.prState === 'draft' ? undefined : 'pr_ready'),
  pr_updated: (p) => (p.action === 'ready_for_review' ? 'pr_ready' : undefined),
  review_submitted: (p) => (p.outcome === 'changes_requested' ? 'changes_requested' : undefined),
  checks_completed: (p) => (p.checksState === 'failing' ? 'ci_failed' : undefined),
  pr_merged: () => 'merged',
  pr_closed: () => 'failed',
  failed: () => 'failed',
};

export function notificationKindFor(type: TimelineEventType, payload: Record<string, unknown>): NotificationKind | undefined {
  return Object.hasOwn(KIND_OF_EVENT, type) ? KIND_OF_EVENT[type]?.(payload) : undefined;
}

const MESSAGES: Readonly<Record<NotificationKind, (title: string) => string>> = {
  needs_clarification: (t) => `“${t}” needs your answers`,
  pr_ready: (t) => `“${t}”: pull request ready for review`,
  changes_requested: (t) => `“${t}”: changes requested on the pull request`,
  ci_failed: (t) => `“${t}”: CI failed`,
  merged: (t) => `“${t}” was merged`,
  failed: (t) => `“${t}” failed`,
};

export function notificationMessage(kind: NotificationKind, taskTitle: string): string {
  const title = taskTitle.length > 80 ? `${taskTitle.slice(0, 79)}…` : taskTitle;
  return MESSAGES[kind](title);
}

export const NOTIFICATION_LABELS: Readonly<Record<NotificationKind, string>> = {
  needs_clarification: 'Needs clarification',
  pr_ready: 'PR ready for review',
  changes_requested: 'Changes requested',
  ci_failed: 'CI failed',
  merged: 'Merged',
  failed: 'Failed',
};
