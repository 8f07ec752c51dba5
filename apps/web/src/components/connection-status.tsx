import { useWebSocket } from '../realtime/socket';

const LABELS = {
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  disabled: 'Live updates off (refreshing every 5 s)',
} as const;

/** Connection state in the header, and a banner while offline or reconnecting. */
export function ConnectionStatus() {
  const { status } = useWebSocket();
  return (
    <>
      <span className={`conn conn-${status}`} role="status" aria-live="polite" data-testid="connection-status">
        <span className="dot" aria-hidden="true" /> {LABELS[status]}
      </span>
      {(status === 'offline' || status === 'reconnecting') && (
        <div className="offline-banner" role="alert">
          {status === 'offline'
            ? 'You are offline. Changes made elsewhere will appear when the connection is back; actions you take are kept and sent then.'
            : 'Connection lost — reconnecting. Nothing will be missed: the page catches up when it is back.'}
        </div>
      )}
    </>
  );
}
