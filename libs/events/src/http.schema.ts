import { Type, type Static } from '@sinclair/typebox';
import { NOTIFICATION_KINDS, NotificationKindSchema } from './notifications';
import { TASK_STATUSES } from './status-machine';
import { FILTER_DATE_PATTERN } from './task-filter';
import { CodingAgentSchema, MAX_SEQ, PreferredAgentSchema, PrioritySchema, TaskStatusSchema, TaskTypeHintSchema } from './task.schema';

/**
 * Request bodies and queries of the public HTTP API. The server validates with
 * them; the web app uses the same limits in its forms.
 */
const strict = { additionalProperties: false } as const;

export const LIMITS = {
  title: 200,
  description: 10_000,
  listItem: 500,
  listItems: 20,
  answer: 2_000,
  username: 40,
  password: 200,
} as const;

/** A plain UUID: the contract's `uuid` format (formats.ts) refuses the `urn:uuid:` form PostgreSQL cannot parse. */
const Uuid = Type.String({ format: 'uuid', maxLength: 36 });

const Line = (max: number) => Type.String({ minLength: 1, maxLength: max });
const List = Type.Array(Line(LIMITS.listItem), { maxItems: LIMITS.listItems });
/** `owner/name` as GitHub spells repositories. */
export const REPO_PATTERN = '^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$';

export const LoginBody = Type.Object({ username: Line(LIMITS.username), password: Line(LIMITS.password) }, strict);
export type LoginBody = Static<typeof LoginBody>;

export const CreateTaskBody = Type.Object(
  {
    // At least three characters once surrounding blanks are trimmed.
    title: Type.String({ maxLength: LIMITS.title, pattern: '^\\s*\\S.+\\S\\s*$' }),
    description: Type.String({ minLength: 1, maxLength: LIMITS.description, pattern: '\\S' }),
    isPrivate: Type.Optional(Type.Boolean()),
    repo: Type.Optional(Type.String({ pattern: REPO_PATTERN })),
    taskTypeHint: Type.Optional(TaskTypeHintSchema),
    filesHint: Type.Optional(List),
    acceptanceCriteria: Type.Optional(List),
    priority: Type.Optional(PrioritySchema),
    preferredAgent: Type.Optional(PreferredAgentSchema),
  },
  strict,
);
export type CreateTaskBody = Static<typeof CreateTaskBody>;

/** An org admin registers a repository the org owns; `isPrivate`: it is private on GitHub, so private tasks may go there. */
export const AddRepoBody = Type.Object(
  { fullName: Type.String({ pattern: REPO_PATTERN }), isPrivate: Type.Optional(Type.Boolean()) },
  strict,
);
export type AddRepoBody = Static<typeof AddRepoBody>;
/**
 * 403 code of `POST /api/repos` for a repository under a GitHub owner (the part before '/') the org owns no repository
 * under yet: nothing proves the org controls that owner on GitHub, so only the operator can seed it (GITHUB_REPOS).
 */
export const REPO_OWNER_NOT_ALLOWED = 'REPO_OWNER_NOT_ALLOWED';
/** `DELETE /api/repos/:owner/:name`. */
export const RepoParams = Type.Object(
  { owner: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,100}$' }), name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,100}$' }) },
  strict,
);
export type RepoParams = Static<typeof RepoParams>;

export const ClarifyBody = Type.Object(
  { answers: Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.answer, pattern: '\\S' }), { minItems: 1, maxItems: 3 }) },
  strict,
);
export type ClarifyBody = Static<typeof ClarifyBody>;

/** A filter date: `YYYY-MM-DD` (a UTC day) or an ISO date-time; see task-filter.ts. */
const FilterDate = Type.String({ pattern: FILTER_DATE_PATTERN, maxLength: 40 });

export const ListTasksQuerySchema = Type.Object(
  {
    scope: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('mine')])),
    // Repeat the parameter for several statuses (`status=failed&status=cancelled`); one value still works.
    status: Type.Optional(Type.Array(TaskStatusSchema, { minItems: 1, maxItems: TASK_STATUSES.length, uniqueItems: true })),
    creator: Type.Optional(Uuid),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })),
    repo: Type.Optional(Type.String({ pattern: REPO_PATTERN })),
    priority: Type.Optional(PrioritySchema),
    agent: Type.Optional(CodingAgentSchema),
    createdFrom: Type.Optional(FilterDate),
    createdTo: Type.Optional(FilterDate),
    updatedFrom: Type.Optional(FilterDate),
    updatedTo: Type.Optional(FilterDate),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  strict,
);
export type ListTasksQuery = Static<typeof ListTasksQuerySchema>;

export const TaskIdParams = Type.Object({ id: Uuid }, strict);
export type TaskIdParams = Static<typeof TaskIdParams>;

/** Largest page of timeline events one request may ask for. */
export const MAX_TIMELINE_PAGE = 200;
/** A page of a task's timeline: the events before seq `before` (all of the latest without it), at most `limit`. */
export const TimelineEventsQuery = Type.Object(
  {
    // Bounded like a seq (a PostgreSQL integer): a larger one failed in the query, a 500 rather than a 400.
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SEQ })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TIMELINE_PAGE })),
  },
  strict,
);
export type TimelineEventsQuery = Static<typeof TimelineEventsQuery>;

export const ListNotificationsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    unread: Type.Optional(Type.Boolean()),
  },
  strict,
);
export type ListNotificationsQuery = Static<typeof ListNotificationsQuery>;

/** Either some notifications by id, or all of the user's (`{ all: true }`). */
export const MarkNotificationsReadBody = Type.Union([
  Type.Object({ ids: Type.Array(Uuid, { minItems: 1, maxItems: 200, uniqueItems: true }) }, strict),
  Type.Object({ all: Type.Literal(true) }, strict),
]);
export type MarkNotificationsReadBody = Static<typeof MarkNotificationsReadBody>;

/** The kinds a user wants to hear about; the rest are neither stored nor pushed. */
export const NotificationPreferencesBody = Type.Object(
  { kinds: Type.Array(NotificationKindSchema, { maxItems: NOTIFICATION_KINDS.length, uniqueItems: true }) },
  strict,
);
export type NotificationPreferencesBody = Static<typeof NotificationPreferencesBody>;

/** Length of the task-id prefix in branch names: a UUID's first two groups, unique enough and still readable. */
const TASK_ID_PREFIX_LENGTH = 13;

/** The branch a coding agent must use for a task (`taskflow/3f2b8c1e-8d9a`); webhooks find the task by it. */
export function taskBranch(taskId: string): string {
  // A shorter id would yield a branch that silently matches no task.
  if (taskId.length < TASK_ID_PREFIX_LENGTH) throw new RangeError(`Task id too short for a branch name: "${taskId}"`);
  return `taskflow/${taskId.slice(0, TASK_ID_PREFIX_LENGTH)}`;
}
