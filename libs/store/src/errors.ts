import { AppError } from '@taskflow/platform';
import type { TaskEventType, TaskStatus } from '@taskflow/events';

export class TaskNotFoundError extends AppError {
  constructor(taskId: string) {
    super('TASK_NOT_FOUND', 404, 'Task not found', { taskId });
  }
}

/** The status machine does not allow this (from, to, event); nothing was written. */
export class IllegalTransitionError extends AppError {
  constructor(from: TaskStatus, to: TaskStatus, event: TaskEventType) {
    super('ILLEGAL_TRANSITION', 409, `A task cannot go from ${from} to ${to} (${event})`, { from, to, event });
  }
}

/** The task was no longer in an expected status when the compare-and-set ran. */
export class StaleTransitionError extends AppError {
  constructor(
    readonly taskId: string,
    readonly expected: readonly TaskStatus[],
    readonly actual: TaskStatus,
  ) {
    super('STALE_TRANSITION', 409, `Task is ${actual}, expected ${expected.join(' or ')}`, { taskId, expected, actual });
  }
}

export class RetryLimitError extends AppError {
  constructor(taskId: string, max: number) {
    super('RETRY_LIMIT', 409, `Task was already retried ${max} times`, { taskId, max });
  }
}

/** This GitHub delivery was applied (or deliberately ignored) before; nothing was written. */
export class DeliveryAlreadyAppliedError extends AppError {
  constructor(readonly deliveryId: string) {
    super('DELIVERY_ALREADY_APPLIED', 409, 'This webhook delivery was applied already', { deliveryId });
  }
}
