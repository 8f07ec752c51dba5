import { useState } from 'react';
import { useSession } from './session';

/**
 * The header's way out: log out (this browser), or sign out everywhere (every browser and device, and every API
 * token). When the latter fails the user is told and stays signed in here, so they can try again.
 */
export function SignOutButtons() {
  const { logout, signOutEverywhere } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const everywhere = () => {
    setBusy(true);
    setError(null);
    signOutEverywhere().catch((err: unknown) => {
      setBusy(false);
      setError(`Could not sign out everywhere: ${err instanceof Error ? err.message : String(err)}`);
    });
  };
  return (
    <>
      <button onClick={logout}>Log out</button>
      <button onClick={everywhere} disabled={busy} title="End every session and API token of yours, on every device">
        Sign out everywhere
      </button>
      {error && (
        <span role="alert" className="error">
          {error}
        </span>
      )}
    </>
  );
}
