/**
 * PostgreSQL NOTIFY channel raised (on commit) for every new task event; payload: the task id.
 * The store raises it, the publishing worker LISTENs to it. Never rename it: both sides must agree.
 */
export const TASK_EVENTS_CHANNEL = 'task_events';
