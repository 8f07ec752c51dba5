import type { TimelineEvent } from '@taskflow/events';
import { RelativeTime } from './relative-time';

type Payload = Record<string, any>;

const LABELS: Partial<Record<TimelineEvent['eventType'], string>> = {
  llm_response: 'analysis',
  pr_updated: 'PR updated',
  review_submitted: 'review',
  checks_completed: 'CI',
  comment_added: 'comment',
  pr_opened: 'PR opened',
  pr_merged: 'PR merged',
  pr_closed: 'PR closed',
};

const PR_ACTIONS: Record<string, string> = {
  converted_to_draft: 'converted to draft',
  ready_for_review: 'ready for review',
  reopened: 'reopened',
  synchronize: 'new commits pushed; CI runs again',
};

/** The meaningful fields of an event's payload, in words (typed per event where it has its own shape). */
const DESCRIBE: Partial<Record<TimelineEvent['eventType'], (p: Payload) => Array<string | false | undefined>>> = {
  llm_response: (p) => [
    p.taskType,
    p.recommendedAgent && `agent ${p.recommendedAgent}`,
    p.questions?.length && `${p.questions.length} question(s)`,
    p.summary,
  ],
  pr_updated: (p) => [`PR #${p.prNumber} ${PR_ACTIONS[p.action] ?? p.action}`],
  review_submitted: (p) => [`PR #${p.prNumber} ${String(p.outcome).replace('_', ' ')}`],
  checks_completed: (p) => [`${p.checkName}: ${p.checksState === 'passing' ? 'passing' : 'failing'}`],
  comment_added: (p) => [p.on === 'issue' ? `on issue #${p.number}` : `on PR #${p.number}`],
  pr_opened: (p) => [`PR #${p.prNumber}`, p.prState === 'draft' && 'draft'],
};

function describe(e: TimelineEvent): string {
  const p: Payload = e.payload;
  const own = DESCRIBE[e.eventType];
  const parts = own
    ? own(p)
    : [
        p.issueNumber && `issue #${p.issueNumber}`,
        p.githubBranch && `branch ${p.githubBranch}`,
        p.prNumber && `PR #${p.prNumber}`,
        p.mergeCommitSha && `commit ${String(p.mergeCommitSha).slice(0, 10)}`,
        p.questions?.length && `${p.questions.length} question(s)`,
        p.clarificationAnswers?.length && `${p.clarificationAnswers.length} answer(s)`,
        p.errorMessage,
      ];
  return parts.filter(Boolean).join(' · ');
}

/** Who or what did it: the user, the analyzer, a GitHub login — or the pipeline itself. */
function actor(e: TimelineEvent): string {
  const payload: Payload = e.payload;
  const d = payload.detail as Payload | undefined;
  const kind = d?.actorKind;
  if (kind === 'user') return `${d?.actor}${d?.actorLogin ? ` (@${d.actorLogin})` : ''}`;
  if (kind === 'github') return d?.actor ? `@${d.actor} on GitHub` : 'GitHub';
  if (kind === 'analyzer') return `analyzer: ${d?.actor}`;
  if (d?.analyzer) return `analyzer: ${d.analyzer}`;
  return 'Taskflow';
}

const LINKS: Partial<Record<TimelineEvent['eventType'], (p: Payload) => string | undefined>> = {
  review_submitted: (p) => p.url,
  checks_completed: (p) => p.checksUrl,
  comment_added: (p) => p.url,
  pr_opened: (p) => p.prUrl,
  dispatched: (p) => p.issueUrl,
};

const safeHttps = (url: unknown) => (typeof url === 'string' && /^https:\/\//.test(url) ? url : undefined);

export function TimelineEntry({ event }: { event: TimelineEvent }) {
  const p: Payload = event.payload;
  const link = safeHttps(LINKS[event.eventType]?.(p));
  return (
    <>
      <span className="event-type">{LABELS[event.eventType] ?? event.eventType.replace('_', ' ')}</span>{' '}
      <span className="actor">{actor(event)}</span> <RelativeTime iso={event.createdAt} />
      <div className="muted">
        {describe(event)}
        {link && (
          <>
            {' '}
            <a href={link} target="_blank" rel="noopener noreferrer">
              view on GitHub
            </a>
          </>
        )}
      </div>
      {event.eventType === 'comment_added' && typeof p.body === 'string' && <blockquote>{p.body}</blockquote>}
    </>
  );
}
