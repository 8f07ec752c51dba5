import type { TaskStatus } from '@taskflow/events';
import { STATUS_COLOURS, STATUS_LABELS } from '../status-style';

/** Status as colour and text (never colour alone); pulses while analyzing. */
export function StatusBadge({ status }: { status: TaskStatus }) {
  return (
    <span className={`badge status-${status}`} style={{ background: STATUS_COLOURS[status] }} data-status={status}>
      {STATUS_LABELS[status]}
    </span>
  );
}
