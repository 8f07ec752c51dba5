import { useEffect, useState } from 'react';
import { api } from '../api/client';

/** Follow a task you did not create, to be notified about it like its creator. */
export function FollowButton({ taskId, disabled }: { taskId: string; disabled?: boolean }) {
  const [following, setFollowing] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ following: boolean }>('GET', `/api/tasks/${taskId}/follow`).then(
      (r) => setFollowing(r.following),
      () => setFollowing(false),
    );
  }, [taskId]);
  const toggle = async () => {
    setError(null);
    try {
      setFollowing((await api<{ following: boolean }>(following ? 'DELETE' : 'POST', `/api/tasks/${taskId}/follow`)).following);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <>
      <button type="button" aria-pressed={following ?? false} disabled={following === null || disabled} onClick={() => void toggle()}>
        {following ? 'Following' : 'Follow'}
      </button>
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
