import { statusGroup, TASK_STATUSES, type TaskStatus } from '@taskflow/events';

/** One colour per status (spec §11.3), shared by the badges and the legend. */
export const STATUS_COLOURS: Readonly<Record<TaskStatus, string>> = {
  received: '#d4a017',
  analyzing: '#d4a017',
  needs_clarification: '#e67e22',
  dispatched: '#2e9e4f',
  coding: '#148f8f',
  pr_open: '#148f8f',
  merged: '#2f6fdb',
  failed: '#d64545',
  cancelled: '#7a7a7a',
};

export const STATUS_LABELS: Readonly<Record<TaskStatus, string>> = {
  received: 'Received',
  analyzing: 'Analyzing',
  needs_clarification: 'Needs clarification',
  dispatched: 'Dispatched',
  coding: 'Coding',
  pr_open: 'PR open',
  merged: 'Merged',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const LEGEND = TASK_STATUSES.map((status) => ({
  status,
  label: STATUS_LABELS[status],
  colour: STATUS_COLOURS[status],
  group: statusGroup(status),
}));
