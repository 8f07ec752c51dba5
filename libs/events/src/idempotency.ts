import { Type, type Static } from '@sinclair/typebox';
import { TaskId, TaskStatusSchema } from './task.schema';

/**
 * Task actions (clarify, retry, cancel, follow/unfollow) take an `Idempotency-Key`: the server applies each key at
 * most once per user and answers a repeat with the first answer. A page that queued an action while offline sends
 * it with its key, and sends it again after a lost answer without acting twice.
 */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set (to `true`) on an answer that is the stored first answer to the key, not a new action. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
/** How long the first answer is kept: a page offline for longer sends its queued action as a new one. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;

/** A UUID fits, and so does any other opaque token of these characters. */
export const IdempotencyKey = Type.String({
  minLength: 8,
  maxLength: 128,
  pattern: '^[A-Za-z0-9_.:-]+$',
  description: 'Unique per action, 8–128 characters of A–Z a–z 0–9 _ . : - (a UUID, say); the same key with another request is refused',
});

/** The request headers of a task action; other headers are allowed as always (header names arrive lower-cased). */
export const IdempotentActionHeaders = Type.Object({ [IDEMPOTENCY_KEY_HEADER]: Type.Optional(IdempotencyKey) });
export type IdempotentActionHeaders = Static<typeof IdempotentActionHeaders>;

/** The error codes of idempotent actions. */
export const IDEMPOTENCY_ERRORS = {
  /** 422: the key was first used for another request (another action, task or body). */
  reused: 'IDEMPOTENCY_KEY_REUSED',
} as const;

/**
 * With a 409 of a task action whose task is no longer where the action needs it: where it is now, and who cancelled
 * it when it was cancelled (null: the system, or an account since removed). The web says "moved on to …" or "cancelled by …".
 */
export const TaskConflictSchema = Type.Object(
  {
    status: TaskStatusSchema,
    cancelledBy: Type.Optional(
      Type.Union([Type.Object({ id: TaskId, name: Type.String() }, { additionalProperties: false }), Type.Null()]),
    ),
  },
  { additionalProperties: false, description: 'With a 409 of a task action: where the task is now, and who cancelled it' },
);
export type TaskConflict = Static<typeof TaskConflictSchema>;
