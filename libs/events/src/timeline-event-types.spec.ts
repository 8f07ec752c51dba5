import { TIMELINE_EVENT_TYPES } from './status-machine';
import type { PerTimelineEventType, TypedTimelineEvent } from './builders';

/*
 * Compile-time checks (tsc runs on this file in `npm test`'s typecheck target): the per-type tables clients write
 * (PerTimelineEventType, as apps/web timeline-entry.tsx does) are mapped over every TimelineEventType, so one that leaves a type out does not
 * compile. If the mapped type ever stopped being exhaustive, the `@ts-expect-error` below would be unused — an error.
 */
type PerType<R> = PerTimelineEventType<R>;

const everyType: PerType<string> = {
  created: (p) => p.title,
  analyzing: (p) => p.status,
  clarification_needed: (p) => p.questions.join(),
  clarified: (p) => p.clarificationAnswers.join(),
  dispatched: (p) => p.issueUrl,
  coding: (p) => p.status,
  pr_opened: (p) => p.prUrl,
  pr_merged: (p) => p.mergeCommitSha,
  pr_closed: (p) => p.errorMessage,
  failed: (p) => p.errorMessage,
  cancelled: (p) => p.status,
  retried: (p) => String(p.retryCount),
  llm_response: (p) => p.summary,
  pr_updated: (p) => p.action,
  review_submitted: (p) => p.outcome,
  checks_completed: (p) => p.checksUrl,
  comment_added: (p) => p.body,
};

const { comment_added: _left, ...allButOne } = everyType;
// @ts-expect-error -- a table without comment_added is not a PerType: a new event type fails to compile until handled.
const missingOne: PerType<string> = allButOne;

/** The union narrows by eventType: each branch sees its own payload's fields. */
function payloadField(e: TypedTimelineEvent): string {
  switch (e.eventType) {
    case 'comment_added':
      return e.payload.body;
    case 'pr_opened':
      return e.payload.prUrl;
    default:
      return e.eventType;
  }
}

describe('timeline event types', () => {
  it('has a table entry for every type the contract lists, and only those', () => {
    expect(Object.keys(everyType).sort()).toEqual([...TIMELINE_EVENT_TYPES].sort());
    expect(Object.keys(missingOne)).not.toContain('comment_added');
  });

  it('reads each type payload by its own fields', () => {
    const base = { seq: 1, createdAt: '2026-12-06T10:00:00.000Z' };
    const comment = { taskId: 't', seq: 1, status: 'pr_open', on: 'issue', number: 1, author: 'a', body: 'hi', url: 'https://x' } as const;
    expect(payloadField({ ...base, eventType: 'comment_added', payload: comment })).toBe('hi');
    expect(payloadField({ ...base, eventType: 'cancelled', payload: { taskId: 't', seq: 1, status: 'cancelled' } })).toBe('cancelled');
  });
});
