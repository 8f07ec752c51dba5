import type { ChecksState, PrState, ReviewState } from '@taskflow/events';

/** The PR's own state beside the task's status: colour plus text, never colour alone; each colour holds 4.5:1 against the badge's text. */
const PR: Readonly<Record<PrState, { label: string; colour: string }>> = {
  draft: { label: 'Draft', colour: '#6b7280' },
  ready: { label: 'Ready for review', colour: '#117a7a' },
  merged: { label: 'Merged', colour: '#2a62c9' },
  closed: { label: 'Closed, unmerged', colour: '#666666' },
};
const REVIEW: Readonly<Record<ReviewState, { label: string; colour: string }>> = {
  approved: { label: 'Approved', colour: '#23773b' },
  changes_requested: { label: 'Changes requested', colour: '#b35900' },
};
const CHECKS: Readonly<Record<ChecksState, { label: string; colour: string }>> = {
  pending: { label: 'CI running', colour: '#d4a017' },
  passing: { label: 'CI passing', colour: '#2e9e4f' },
  failing: { label: 'CI failing', colour: '#c0392b' },
};

/** The badges' words, for the screen-reader announcements of live changes. */
export const PR_LABELS = Object.fromEntries(Object.entries(PR).map(([k, v]) => [k, v.label])) as Readonly<Record<PrState, string>>;
export const REVIEW_LABELS = Object.fromEntries(Object.entries(REVIEW).map(([k, v]) => [k, v.label])) as Readonly<
  Record<ReviewState, string>
>;
export const CHECKS_LABELS = Object.fromEntries(Object.entries(CHECKS).map(([k, v]) => [k, v.label])) as Readonly<
  Record<ChecksState, string>
>;

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
