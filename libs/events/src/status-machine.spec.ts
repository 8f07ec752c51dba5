import {
  allowedTransitions,
  canTransition,
  CANCELLABLE_STATUSES,
  eventsForTransition,
  STATUS_AFTER_EVENT,
  statusGroup,
  TASK_STATUSES,
  type TaskEventType,
  type TaskStatus,
} from './status-machine';

/** The full expected table, written out independently of the implementation. */
const EXPECTED: Record<string, TaskEventType[]> = {
  'received>analyzing': ['analyzing'],
  'received>failed': ['failed'],
  'received>cancelled': ['cancelled'],
  'analyzing>needs_clarification': ['clarification_needed'],
  'analyzing>dispatched': ['dispatched'],
  'analyzing>failed': ['failed'],
  'analyzing>cancelled': ['cancelled'],
  'needs_clarification>analyzing': ['clarified'],
  'needs_clarification>failed': ['failed'],
  'needs_clarification>cancelled': ['cancelled'],
  'dispatched>coding': ['coding'],
  'dispatched>pr_open': ['pr_opened'],
  'dispatched>failed': ['failed'],
  'coding>pr_open': ['pr_opened'],
  'coding>failed': ['failed'],
  'pr_open>merged': ['pr_merged'],
  'pr_open>failed': ['pr_closed', 'failed'],
  'failed>received': ['retried'],
  'failed>pr_open': ['pr_opened'],
};

describe('task status machine', () => {
  const pairs: Array<[TaskStatus, TaskStatus]> = TASK_STATUSES.flatMap((from) =>
    TASK_STATUSES.map((to) => [from, to] as [TaskStatus, TaskStatus]),
  );

  it.each(pairs)('%s → %s is allowed exactly when the table says so', (from, to) => {
    const expected = EXPECTED[`${from}>${to}`] ?? [];
    expect([...eventsForTransition(from, to)].sort()).toEqual([...expected].sort());
    expect(canTransition(from, to)).toBe(expected.length > 0);
  });

  it('lists exactly the expected transitions', () => {
    expect(
      allowedTransitions()
        .map(([f, t]) => `${f}>${t}`)
        .sort(),
    ).toEqual(Object.keys(EXPECTED).sort());
  });

  it('never leaves merged or cancelled, and never self-loops', () => {
    for (const to of TASK_STATUSES) {
      expect(canTransition('merged', to)).toBe(false);
      expect(canTransition('cancelled', to)).toBe(false);
      expect(canTransition(to, to)).toBe(false);
    }
  });

  it('allows cancel only before dispatch', () => {
    const cancellable = TASK_STATUSES.filter((s) => canTransition(s, 'cancelled'));
    expect(cancellable).toEqual([...CANCELLABLE_STATUSES]);
    expect(cancellable).not.toContain('dispatched');
  });

  it('allows failure from every non-terminal status', () => {
    const canFail = TASK_STATUSES.filter((s) => eventsForTransition(s, 'failed').includes('failed'));
    expect(canFail.sort()).toEqual(['analyzing', 'coding', 'dispatched', 'needs_clarification', 'pr_open', 'received']);
  });

  it('maps every event to the status it leads to, consistently with the table', () => {
    for (const [from, to] of allowedTransitions()) {
      for (const event of eventsForTransition(from, to)) expect(STATUS_AFTER_EVENT[event]).toBe(to);
    }
  });

  it('groups statuses into active / completed / failed', () => {
    expect(statusGroup('analyzing')).toBe('active');
    expect(statusGroup('pr_open')).toBe('active');
    expect(statusGroup('merged')).toBe('completed');
    expect(statusGroup('cancelled')).toBe('completed');
    expect(statusGroup('failed')).toBe('failed');
  });
});
