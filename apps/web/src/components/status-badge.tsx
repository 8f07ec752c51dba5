import type { PrState, TaskStatus } from '@taskflow/events';
import { STATUS_COLOURS, STATUS_LABELS } from '../status-style';
import { usePulse } from './use-pulse';

/**
 * Status as colour and text (never colour alone); pulses while analyzing, and flashes briefly on every change
 * (`fresh`: at once, for a badge that appears with a change). A task failed by its PR being closed without merging
 * shows as "Closed, unmerged", not as a failure.
 */
export function StatusBadge({ status, prState, fresh = false }: { status: TaskStatus; prState?: PrState | null; fresh?: boolean }) {
  const closedUnmerged = status === 'failed' && prState === 'closed';
  const pulse = usePulse(closedUnmerged ? 'closed-unmerged' : status, fresh);
  if (closedUnmerged) {
    return (
      <span
        className="badge status-closed-unmerged"
        style={{ background: '#666666' }}
        data-status={status}
        data-pr-state="closed"
        data-pulse={pulse}
      >
        Closed, unmerged
      </span>
    );
  }
  return (
    <span className={`badge status-${status}`} style={{ background: STATUS_COLOURS[status] }} data-status={status} data-pulse={pulse}>
      {STATUS_LABELS[status]}
    </span>
  );
}
