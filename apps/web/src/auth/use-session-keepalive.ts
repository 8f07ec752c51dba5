import type { TaskflowClient } from '@taskflow/client';

const ACTIVITY = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;

/**
 * Slides the session while the user is active: at most every quarter of the idle time (and at
 * least every minute of activity) it sends `session:refresh` on the open socket, which moves
 * the server's deadline for this socket without reconnecting. An idle tab sends nothing, so the
 * session ends after the idle time. Returns the cleanup.
 */
export function keepSessionAlive(client: TaskflowClient, idleSeconds: number, onExtended: (expiresAt: string) => void): () => void {
  const everyMs = Math.min(60_000, (idleSeconds * 1000) / 4);
  let last = Date.now();
  const onActivity = () => {
    if (Date.now() - last < everyMs || !client.connected) return;
    last = Date.now();
    client
      .request('session:refresh', {})
      .then((ack) => {
        if (ack.ok && ack.data) onExtended(ack.data.expiresAt);
      })
      .catch(() => undefined);
  };
  for (const e of ACTIVITY) window.addEventListener(e, onActivity, { passive: true });
  return () => {
    for (const e of ACTIVITY) window.removeEventListener(e, onActivity);
  };
}
