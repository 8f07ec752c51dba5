import { IDEMPOTENCY_KEY_TTL_HOURS } from '@taskflow/events';
import { describeAction } from '../offline/offline-action-queue';
import { useOfflineActions } from '../offline/offline-actions';
import { RelativeTime } from './relative-time';

const sentence = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}`;

/**
 * The task's actions taken while offline, waiting to be sent on reconnect (each can be discarded), and how the ones
 * sent meanwhile ended: sent, or refused because the task moved on.
 */
export function PendingActions({ taskId }: { taskId: string }) {
  const { pending, outcomes, expired, discard, sendAnyway, dismiss } = useOfflineActions();
  const waiting = pending.filter((p) => p.taskId === taskId);
  const ended = outcomes.filter((o) => o.taskId === taskId);
  if (waiting.length === 0 && ended.length === 0) return null;
  return (
    <section className="card pending-actions" aria-label="Pending actions" data-testid="pending-actions">
      {waiting.length > 0 && (
        <>
          <h2>Waiting to send</h2>
          <p className="muted">Kept in this browser, and sent in this order as soon as the connection is back.</p>
          <ul>
            {waiting.map((p) => (
              <li key={p.key} data-pending={p.action.kind}>
                <span className="pending-dot" aria-hidden="true" /> {sentence(describeAction(p.action))}
                {p.action.kind === 'clarify' && (
                  <>
                    {' '}
                    <q>{p.action.answers.join(' / ')}</q>
                  </>
                )}{' '}
                · taken <RelativeTime iso={new Date(p.queuedAt).toISOString()} />{' '}
                {expired.includes(p.key) && (
                  <>
                    <span className="error" data-expired="true">
                      Over {IDEMPOTENCY_KEY_TTL_HOURS} hours old: the server may have forgotten an earlier attempt, so it is sent only if
                      you say so.
                    </span>{' '}
                    <button type="button" onClick={() => void sendAnyway(p.key)} aria-label={`Send ${describeAction(p.action)} anyway`}>
                      Send anyway
                    </button>{' '}
                  </>
                )}
                <button type="button" onClick={() => void discard(p.key)} aria-label={`Discard ${describeAction(p.action)}`}>
                  Discard
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {ended.map((o) => (
        <p
          key={o.key}
          className={o.sent ? 'pending-sent' : 'error'}
          role={o.sent ? 'status' : 'alert'}
          data-outcome={o.sent ? 'sent' : 'refused'}
        >
          {o.message}{' '}
          <button type="button" onClick={() => dismiss(o.key)}>
            Dismiss
          </button>
        </p>
      ))}
    </section>
  );
}
