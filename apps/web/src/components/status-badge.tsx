import type { PrState, TaskStatus } from '@taskflow/events';
import { STATUS_COLOURS, STATUS_LABELS } from '../status-style';

/**
 * Status as colour and text (never colour alone); pulses while analyzing. A task failed by
 * its PR being closed without merging shows as "Closed, unmerged", not as a failure.
 */
export function StatusBadge({ status, prState }: { status: TaskStatus; prState?: PrState | null }) {
  if (status === 'failed' && prState === 'closed') {
    return (
      <span className="badge status-closed-unmerged" style={{ background: '#666666' }} data-status={status} data-pr-state="closed">
        Closed, unmerged
      </span>
    );
  }
  return (
    <span className={`badge status-${status}`} style={{ background: STATUS_COLOURS[status] }} data-status={status}>
      {STATUS_LABELS[status]}
    </span>
  );
}
