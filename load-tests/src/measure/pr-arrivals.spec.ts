import { PrArrivals } from './pr-arrivals';

describe('PrArrivals', () => {
  it('times the first row with a prUrl per (socket, task), from that task’s webhook send', () => {
    const a = new PrArrivals();
    a.onEvent(0, 'dashboard:task_list_updated', { taskId: 't1', prUrl: null }, 1005);
    a.onEvent(0, 'dashboard:task_list_updated', { taskId: 't1', prUrl: 'https://github.com/o/r/pull/1' }, 1040);
    // A later row of the same task (merged) is not a new arrival.
    a.onEvent(0, 'dashboard:task_list_updated', { taskId: 't1', prUrl: 'https://github.com/o/r/pull/1' }, 1900);
    a.onEvent(1, 'dashboard:batch', { items: [{ event: 'dashboard:task_list_updated', payload: { taskId: 't1', prUrl: 'u' } }] }, 1060);
    a.onEvent(1, 'dashboard:task_list_updated', { taskId: 't2', prUrl: 'u2' }, 2300);
    expect(a.size).toBe(3);
    expect(
      a.webhookToScreen(
        new Map([
          ['t1', 1000],
          ['t2', 2000],
        ]),
      ),
    ).toEqual({ count: 3, p50Ms: 60, p95Ms: 300, p99Ms: 300, maxMs: 300 });
  });

  it('ignores snapshots, other events and tasks whose webhook it did not send', () => {
    const a = new PrArrivals();
    a.onEvent(0, 'dashboard:state', { tasks: [{ taskId: 't1', prUrl: 'u' }] }, 1010);
    a.onEvent(0, 'task:pr_opened', { taskId: 't1', prUrl: 'u' }, 1010);
    a.onEvent(0, 'dashboard:task_list_updated', { taskId: 'other', prUrl: 'u' }, 1010);
    expect(a.webhookToScreen(new Map([['t1', 1000]]))).toEqual({ count: 0, p50Ms: null, p95Ms: null, p99Ms: null, maxMs: null });
  });
});
