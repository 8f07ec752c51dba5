import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { useOfflineActions } from '../offline/offline-actions';

/** Follow a task you did not create, to be notified about it like its creator; offline, the change waits for reconnect. */
export function FollowButton({ taskId, disabled }: { taskId: string; disabled?: boolean }) {
  const [following, setFollowing] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { pending, perform } = useOfflineActions();
  const waiting = pending.filter((p) => p.taskId === taskId && p.action.kind === 'follow').at(-1);
  useEffect(() => {
    // Unknown while offline: shown as not following, and a change taken then waits for reconnect.
    api<{ following: boolean }>('GET', `/api/tasks/${taskId}/follow`).then(
      (r) => setFollowing(r.following),
      () => setFollowing(false),
    );
  }, [taskId]);
  const toggle = async () => {
    setError(null);
    try {
      const next = !following;
      await perform(taskId, { kind: 'follow', following: next });
      setFollowing(next);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <>
      <button type="button" aria-pressed={following ?? false} disabled={following === null || disabled} onClick={() => void toggle()}>
        {following ? 'Following' : 'Follow'}
        {waiting && ' (waiting to send)'}
      </button>
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
