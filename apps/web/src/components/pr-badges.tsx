import type { ChecksState, PrState, ReviewState } from '@taskflow/events';

/** The PR's own state beside the task's status: colour plus text, never colour alone. */
const PR: Readonly<Record<PrState, { label: string; colour: string }>> = {
  draft: { label: 'Draft', colour: '#6b7280' },
  ready: { label: 'Ready for review', colour: '#148f8f' },
  merged: { label: 'Merged', colour: '#2f6fdb' },
  closed: { label: 'Closed, unmerged', colour: '#7a7a7a' },
};
const REVIEW: Readonly<Record<ReviewState, { label: string; colour: string }>> = {
  approved: { label: 'Approved', colour: '#2e9e4f' },
  changes_requested: { label: 'Changes requested', colour: '#e67e22' },
};
const CHECKS: Readonly<Record<ChecksState, { label: string; colour: string }>> = {
  pending: { label: 'CI running', colour: '#d4a017' },
  passing: { label: 'CI passing', colour: '#2e9e4f' },
  failing: { label: 'CI failing', colour: '#d64545' },
};

export interface PrBadgesProps {
  prState: PrState | null;
  reviewState: ReviewState | null;
  checksState: ChecksState | null;
  /** When given, the CI badge links to the check. */
  checksUrl?: string | null;
}

export function PrBadges({ prState, reviewState, checksState, checksUrl }: PrBadgesProps) {
  // Once merged or closed, the status badge says so ("Merged", "Closed, unmerged"); review and CI are history.
  const open = prState !== 'merged' && prState !== 'closed';
  if (!open || (!prState && !reviewState && !checksState)) return null;
  const ci = checksState ? CHECKS[checksState] : null;
  return (
    <span className="pr-badges" aria-label="Pull request state">
      {prState && (
        <span className="badge pr-state" data-pr-state={prState} style={{ background: PR[prState].colour }}>
          {PR[prState].label}
        </span>
      )}
      {open && reviewState && (
        <span className="badge review-state" data-review-state={reviewState} style={{ background: REVIEW[reviewState].colour }}>
          {REVIEW[reviewState].label}
        </span>
      )}
      {open && ci && checksState && (
        <span className="badge checks-state" data-checks-state={checksState} style={{ background: ci.colour }}>
          {checksUrl ? (
            <a href={checksUrl} target="_blank" rel="noopener noreferrer">
              {ci.label}
            </a>
          ) : (
            ci.label
          )}
        </span>
      )}
    </span>
  );
}
