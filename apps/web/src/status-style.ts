import { statusGroup, TASK_STATUSES, type TaskStatus } from '@taskflow/events';

/** One colour per status (received and analyzing share yellow; the key statuses each their own), shared by the badges and the legend; dark enough for white badge text (WCAG AA, 4.5:1). */
export const STATUS_COLOURS: Readonly<Record<TaskStatus, string>> = {
  received: '#d4a017',
  analyzing: '#d4a017',
  needs_clarification: '#b35900',
  dispatched: '#23773b',
  coding: '#117a7a',
  pr_open: '#117a7a',
  merged: '#2a62c9',
  failed: '#c0392b',
  cancelled: '#666666',
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
