import type { DashboardTask } from '@taskflow/events';
import { ALICE } from './fake-gateway';

let next = 0;

/** A dashboard row as the server sends it: Alice's coding task in acme/payments, a minute old, with a fresh id. */
export function dashboardRow(over: Partial<DashboardTask> = {}): DashboardTask {
  const minuteAgo = new Date(Date.now() - 60_000).toISOString();
  return {
    taskId: `00000000-0000-4000-8000-${String(++next).padStart(12, '0')}`,
    seq: 1,
    title: 'A task',
    status: 'coding',
    isPrivate: false,
    priority: 'normal',
    repo: 'acme/payments',
    creator: ALICE.name,
    createdBy: { id: ALICE.id, username: ALICE.username, name: ALICE.name },
    createdAt: minuteAgo,
    updatedAt: minuteAgo,
    prUrl: null,
    githubIssueUrl: null,
    prState: null,
    reviewState: null,
    checksState: null,
    ...over,
  };
}
