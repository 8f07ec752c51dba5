import { ATTEMPT_RESET, taskPatchFromEvent as patchFrom, type PublicTask, type TimelineEvent } from '@taskflow/events';
import { applyEvent, fromSnapshot, prependOlder, sortByUpdate, upsertRow, type TaskView } from './task-view';

const taskId = '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
const ev = (seq: number, eventType: TimelineEvent['eventType'], payload: Record<string, unknown> = {}): TimelineEvent => ({
  seq,
  eventType,
  payload: { taskId, seq, ...payload },
  createdAt: new Date(2026, 0, 1, 0, 0, seq).toISOString(),
});
const view = (last: number): TaskView => ({
  task: { id: taskId, seq: last, status: 'analyzing' } as PublicTask,
  events: [ev(1, 'created')],
  last,
  olderCursor: null,
});

describe('paging the timeline', () => {
  const seqs = (v: TaskView) => v.events.map((e) => e.seq);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ev(from + i, 'comment_added'));
  const task = (seq: number) => ({ id: taskId, seq, status: 'pr_open' }) as PublicTask;
  const latest = (from: number, to: number) => ({
    taskId,
    seq: to,
    task: task(to),
    events: range(from, to),
    hasOlder: from > 1,
    olderCursor: from > 1 ? from : null,
  });

  it('starts from the latest page, then puts older pages in front, each event once, while live events arrive', () => {
    let v = fromSnapshot(undefined, latest(101, 200));
    expect(v.olderCursor).toBe(101);
    // A live event lands while the older page is on its way: both are kept, in seq order.
    v = applyEvent(v, { taskId, seq: 201, event: ev(201, 'comment_added') }).view;
    v = prependOlder(v, { events: range(51, 100), hasOlder: true, olderCursor: 51 });
    expect(v.olderCursor).toBe(51);
    // The same page again (a double click) changes nothing.
    expect(prependOlder(v, { events: range(51, 100), hasOlder: true, olderCursor: 51 })).toBe(v);
    v = prependOlder(v, { events: range(1, 50), hasOlder: false, olderCursor: null });
    expect(seqs(v)).toEqual(range(1, 201).map((e) => e.seq));
    expect(v.olderCursor).toBeNull();
  });

  it('keeps the older events paged in when a re-join sends the latest page again, unless a hole would open', () => {
    let v = fromSnapshot(undefined, latest(101, 200));
    v = prependOlder(v, { events: range(1, 100), hasOlder: false, olderCursor: null });
    const rejoined = fromSnapshot(v, latest(106, 205));
    expect(seqs(rejoined)).toEqual(range(1, 205).map((e) => e.seq));
    expect(rejoined.olderCursor).toBeNull();
    // Missed more than a page: what was paged in no longer joins on, so the snapshot's page starts over.
    const far = fromSnapshot(v, latest(301, 400));
    expect(seqs(far)).toEqual(range(301, 400).map((e) => e.seq));
    expect(far.olderCursor).toBe(301);
  });

  it('ignores an older page that does not end right before the first event shown (a re-join replaced the view)', () => {
    const asked = fromSnapshot(undefined, latest(101, 200));
    // Missed more than a page meanwhile: the re-join's snapshot starts at 301, the page asked for ends at 100.
    const rejoined = fromSnapshot(asked, latest(301, 400));
    const after = prependOlder(rejoined, { events: range(51, 100), hasOlder: false, olderCursor: null });
    expect(after).toBe(rejoined);
    expect(seqs(after)).toEqual(range(301, 400).map((e) => e.seq));
    expect(after.olderCursor).toBe(301);
  });

  it('reads the task from the top-level fields of task:state, the nested task only from a server without them', () => {
    const top = { ...task(2), status: 'merged' } as PublicTask;
    const withoutNested = fromSnapshot(undefined, { ...top, taskId, seq: 2, events: range(1, 2) });
    expect(withoutNested.task).toEqual(top);
    const both = fromSnapshot(undefined, { ...top, taskId, seq: 2, task: task(2), events: range(1, 2) });
    expect(both.task).toEqual(top);
    expect(fromSnapshot(undefined, { taskId, seq: 2, task: task(2), events: range(1, 2) }).task).toEqual(task(2));
  });

  it('reads a snapshot without paging fields as the whole timeline', () => {
    expect(fromSnapshot(undefined, { taskId, seq: 2, task: task(2), events: range(1, 2) }).olderCursor).toBeNull();
  });
});

describe('applying events by seq', () => {
  it('applies seq = last + 1 and patches the task from the payload', () => {
    const { view: next, outcome } = applyEvent(view(1), {
      taskId,
      seq: 2,
      event: ev(2, 'dispatched', { status: 'dispatched', issueNumber: 7, issueUrl: 'u', githubBranch: 'b' }),
    });
    expect(outcome).toBe('applied');
    expect(next.last).toBe(2);
    expect(next.task).toMatchObject({ status: 'dispatched', githubIssueNumber: 7, githubIssueUrl: 'u', githubBranch: 'b', seq: 2 });
    expect(next.events.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('ignores a duplicate or an old event', () => {
    const v = view(3);
    expect(applyEvent(v, { taskId, seq: 3, event: ev(3, 'coding') })).toEqual({ view: v, outcome: 'duplicate' });
    expect(applyEvent(v, { taskId, seq: 1, event: ev(1, 'created') }).outcome).toBe('duplicate');
  });

  it('reports a gap instead of applying out of order', () => {
    const v = view(2);
    expect(applyEvent(v, { taskId, seq: 4, event: ev(4, 'pr_opened') })).toEqual({ view: v, outcome: 'gap' });
  });

  it('keeps the newer of a snapshot and the current view', () => {
    const current = view(5);
    const older = { taskId, seq: 3, task: { id: taskId, seq: 3 } as PublicTask, events: [] };
    expect(fromSnapshot(current, older)).toBe(current);
    const newer = { taskId, seq: 6, task: { id: taskId, seq: 6 } as PublicTask, events: [] };
    expect(fromSnapshot(current, newer).last).toBe(6);
  });

  it('maps every payload field to the task field of the same meaning', () => {
    expect(patchFrom(ev(2, 'clarification_needed', { status: 'needs_clarification', questions: ['q'] }))).toEqual({
      status: 'needs_clarification',
      clarificationQuestions: ['q'],
    });
    expect(patchFrom(ev(3, 'pr_merged', { status: 'merged', mergeCommitSha: 'abc', mergedAt: 'x' }))).toEqual({
      status: 'merged',
      mergeCommitSha: 'abc',
      mergedAt: 'x',
    });
    // A retry clears everything of the previous attempt.
    expect(patchFrom(ev(4, 'retried', { status: 'received', retryCount: 1 }))).toEqual({
      status: 'received',
      retryCount: 1,
      ...ATTEMPT_RESET,
    });
  });

  it('applies the analysis and the PR sub-state from the events that change them', () => {
    const analysis = { summary: 's', taskType: 'feature', recommendedAgent: 'codex', likelyFiles: ['a.ts'], suggestedCriteria: ['c'] };
    expect(patchFrom(ev(5, 'llm_response', { status: 'analyzing', analyzer: 'x', questions: [], ...analysis }))).toEqual({
      status: 'analyzing',
      ...analysis,
    });
    expect(
      patchFrom(
        ev(6, 'pr_updated', {
          status: 'pr_open',
          action: 'synchronize',
          prNumber: 3,
          prUrl: 'u',
          prState: 'ready',
          reviewState: 'approved',
          checksState: 'pending',
        }),
      ),
    ).toEqual({
      status: 'pr_open',
      prNumber: 3,
      prUrl: 'u',
      prState: 'ready',
      reviewState: 'approved',
      checksState: 'pending',
    });
    expect(
      patchFrom(
        ev(7, 'checks_completed', { status: 'pr_open', prNumber: 3, checkName: 'ci', checksState: 'failing', checksUrl: 'https://c' }),
      ),
    ).toMatchObject({ checksState: 'failing', checksUrl: 'https://c' });
    // A comment changes no task field.
    expect(
      patchFrom(ev(8, 'comment_added', { status: 'pr_open', on: 'issue', number: 2, author: 'a', body: 'b', url: 'https://x' })),
    ).toEqual({ status: 'pr_open' });
  });
});

describe('dashboard rows', () => {
  const row = (id: string, seq: number, updatedAt: string) => ({ taskId: id, seq, updatedAt }) as any;
  it('replaces a row only with a newer one', () => {
    const a = upsertRow(new Map(), row('a', 2, '2026-01-01T00:00:02Z'));
    expect(upsertRow(a, row('a', 1, '2026-01-01T00:00:09Z'))).toBe(a);
    expect(upsertRow(a, row('a', 3, '2026-01-01T00:00:03Z')).get('a')!.seq).toBe(3);
  });
  it('sorts by last update, newest first', () => {
    const rows = [row('a', 1, '2026-01-01T00:00:01Z'), row('b', 1, '2026-01-01T00:00:03Z'), row('c', 1, '2026-01-01T00:00:02Z')];
    expect(sortByUpdate(rows).map((r) => r.taskId)).toEqual(['b', 'c', 'a']);
  });
});
