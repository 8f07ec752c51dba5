import { useSyncExternalStore } from 'react';
import type { TaskflowClient } from '@taskflow/client';
import { useWebSocket } from '../realtime/socket';

const LABELS = {
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  disabled: 'Live updates off (refreshing every 5 s)',
} as const;

const noSubscribe = () => () => undefined;
const none = () => null;

/** The transport the client's connection uses now (`data-transport`), and whether it fell back to long-polling. */
function useTransport(client: TaskflowClient | null) {
  const transport = client?.transport;
  return useSyncExternalStore(transport?.subscribe ?? noSubscribe, transport?.getSnapshot ?? none);
}

/** Connection state in the header, and a banner while offline or reconnecting. */
export function ConnectionStatus() {
  const { status, client } = useWebSocket();
  const transport = useTransport(client);
  const fellBack = status === 'connected' && transport?.preferred === 'polling';
  return (
    <>
      <span
        className={`conn conn-${status}`}
        role="status"
        aria-live="polite"
        data-testid="connection-status"
        data-transport={transport?.current ?? undefined}
        title={fellBack ? 'Live over long-polling: WebSocket was cut on the way (a proxy or filter); it is tried again later.' : undefined}
      >
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
