import {
  typedTimelineEvent,
  type PerTimelineEventType,
  type TimelineEvent,
  type TimelineEventPayload,
  type TimelineEventType,
  type TypedTimelineEvent,
} from '@taskflow/events';
import { RelativeTime } from './relative-time';

/*
 * One table per aspect, each keyed by every event type (mapped types, not Partial): a new event type in the contract
 * does not compile until the timeline says how to label, describe and link it.
 */
type PerType<R> = PerTimelineEventType<R>;

const LABELS: Record<TimelineEventType, string> = {
  created: 'created',
  analyzing: 'analyzing',
  clarification_needed: 'clarification needed',
  clarified: 'clarified',
  dispatched: 'dispatched',
  coding: 'coding',
  pr_opened: 'PR opened',
  pr_merged: 'PR merged',
  pr_closed: 'PR closed',
  failed: 'failed',
  cancelled: 'cancelled',
  retried: 'retried',
  llm_response: 'analysis',
  pr_updated: 'PR updated',
  review_submitted: 'review',
  checks_completed: 'CI',
  comment_added: 'comment',
};

const PR_ACTIONS: Record<TimelineEventPayload<'pr_updated'>['action'], string> = {
  converted_to_draft: 'converted to draft',
  ready_for_review: 'ready for review',
  reopened: 'reopened',
  synchronize: 'new commits pushed; CI runs again',
};

const questions = (n: number) => n > 0 && `${n} question(s)`;
const nothing = () => [];

/** The meaningful fields of an event's payload, in words. */
const DESCRIBE: PerType<Array<string | false | undefined>> = {
  created: nothing,
  analyzing: nothing,
  clarification_needed: (p) => [questions(p.questions.length)],
  clarified: (p) => [p.clarificationAnswers.length > 0 && `${p.clarificationAnswers.length} answer(s)`],
  dispatched: (p) => [p.issueNumber > 0 && `issue #${p.issueNumber}`, p.githubBranch && `branch ${p.githubBranch}`],
  coding: nothing,
  pr_opened: (p) => [`PR #${p.prNumber}`, p.prState === 'draft' && 'draft'],
  pr_merged: (p) => [p.mergeCommitSha && `commit ${p.mergeCommitSha.slice(0, 10)}`],
  pr_closed: (p) => [p.prNumber > 0 && `PR #${p.prNumber}`, p.errorMessage],
  failed: (p) => [p.errorMessage],
  cancelled: nothing,
  retried: nothing,
  llm_response: (p) => [p.taskType, p.recommendedAgent && `agent ${p.recommendedAgent}`, questions(p.questions.length), p.summary],
  pr_updated: (p) => [`PR #${p.prNumber} ${PR_ACTIONS[p.action] ?? p.action}`],
  review_submitted: (p) => [`PR #${p.prNumber} ${p.outcome.replace('_', ' ')}`],
  checks_completed: (p) => [`${p.checkName}: ${p.checksState === 'passing' ? 'passing' : 'failing'}`],
  comment_added: (p) => [p.on === 'issue' ? `on issue #${p.number}` : `on PR #${p.number}`],
};

const noLink = () => undefined;

/** Where the event happened on GitHub, when it has a page there. */
const LINKS: PerType<string | undefined> = {
  created: noLink,
  analyzing: noLink,
  clarification_needed: noLink,
  clarified: noLink,
  dispatched: (p) => p.issueUrl,
  coding: noLink,
  pr_opened: (p) => p.prUrl,
  pr_merged: noLink,
  pr_closed: noLink,
  failed: noLink,
  cancelled: noLink,
  retried: noLink,
  llm_response: noLink,
  pr_updated: noLink,
  review_submitted: (p) => p.url,
  checks_completed: (p) => p.checksUrl,
  comment_added: (p) => p.url,
};

/**
 * Looks an event up in a per-type table; generic so that the table's entry and the payload are of the same type.
 * A type from a newer server than this page (not in the table at run time) gets `unknown`.
 */
function byType<T extends TimelineEventType, R>(table: PerType<R>, e: { eventType: T; payload: TimelineEventPayload<T> }, unknown: R): R {
  return Object.hasOwn(table, e.eventType) ? table[e.eventType](e.payload) : unknown;
}

function describe(e: TypedTimelineEvent): string {
  return byType(DESCRIBE, e, []).filter(Boolean).join(' · ');
}

/** Who or what did it: the user, the analyzer, a GitHub login — or the pipeline itself. */
function actor(e: TypedTimelineEvent): string {
  const d = e.payload.detail;
  const kind = d?.actorKind;
  if (kind === 'user') return `${d?.actor}${d?.actorLogin ? ` (@${d.actorLogin})` : ''}`;
  if (kind === 'github') return d?.actor ? `@${d.actor} on GitHub` : 'GitHub';
  if (kind === 'analyzer') return `analyzer: ${d?.actor}`;
  if (d?.analyzer) return `analyzer: ${d.analyzer}`;
  return 'Taskflow';
}

const safeHttps = (url: unknown) => (typeof url === 'string' && /^https:\/\//.test(url) ? url : undefined);

export function TimelineEntry({ event }: { event: TimelineEvent }) {
  const e = typedTimelineEvent(event);
  const link = safeHttps(byType(LINKS, e, undefined));
  return (
    <>
      <span className="event-type">{LABELS[e.eventType] ?? e.eventType.replace('_', ' ')}</span> <span className="actor">{actor(e)}</span>{' '}
      <RelativeTime iso={e.createdAt} />
      <div className="muted">
        {describe(e)}
        {link && (
          <>
            {' '}
            <a href={link} target="_blank" rel="noopener noreferrer">
              view on GitHub
            </a>
          </>
        )}
      </div>
      {e.eventType === 'comment_added' && typeof e.payload.body === 'string' && <blockquote>{e.payload.body}</blockquote>}
    </>
  );
}
