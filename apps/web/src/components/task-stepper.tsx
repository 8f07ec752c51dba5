import type { TaskStatus } from '@taskflow/events';
import { usePulse } from './use-pulse';

const STAGES: Array<{ label: string; statuses: TaskStatus[] }> = [
  { label: 'Received', statuses: ['received'] },
  { label: 'Analysis', statuses: ['analyzing', 'needs_clarification'] },
  { label: 'Dispatched', statuses: ['dispatched'] },
  { label: 'Coding', statuses: ['coding'] },
  { label: 'Pull request', statuses: ['pr_open'] },
  { label: 'Merged', statuses: ['merged'] },
];

/** Where the task is in the pipeline; the current step flashes briefly on every status change. */
export function TaskStepper({ status }: { status: TaskStatus }) {
  const current = STAGES.findIndex((s) => s.statuses.includes(status));
  const pulse = usePulse(status);
  return (
    <ol className="stepper" aria-label="Pipeline progress">
      {STAGES.map((stage, i) => (
        <li
          key={stage.label}
          className={i < current ? 'done' : i === current ? 'current' : ''}
          aria-current={i === current ? 'step' : undefined}
          data-pulse={i === current ? pulse : undefined}
        >
          {stage.label}
        </li>
      ))}
    </ol>
  );
}
