import { useEffect, useState } from 'react';
import { NOTIFICATION_KINDS, NOTIFICATION_LABELS, type NotificationKind } from '@taskflow/events';
import { api } from '../api/client';
import { useNotifications } from '../realtime/notifications';

/** Which kinds the user hears about (saved on the server), and this browser's opt-in to system notifications. */
export function NotificationPreferences() {
  const { browserEnabled, setBrowserEnabled } = useNotifications();
  const [kinds, setKinds] = useState<NotificationKind[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ kinds: NotificationKind[] }>('GET', '/api/notifications/preferences').then(
      (r) => setKinds(r.kinds),
      (err: Error) => setError(err.message),
    );
  }, []);
  const toggle = async (kind: NotificationKind, on: boolean) => {
    if (!kinds) return;
    const next = on ? [...kinds, kind] : kinds.filter((k) => k !== kind);
    setError(null);
    try {
      setKinds((await api<{ kinds: NotificationKind[] }>('PUT', '/api/notifications/preferences', { kinds: next })).kinds);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const supported = typeof window.Notification !== 'undefined';
  return (
    <fieldset className="notification-prefs">
      <legend>Notify me about</legend>
      {kinds === null && !error && <p aria-busy="true">Loading…</p>}
      {kinds &&
        NOTIFICATION_KINDS.map((kind) => (
          <label key={kind}>
            <input type="checkbox" checked={kinds.includes(kind)} onChange={(e) => void toggle(kind, e.target.checked)} />{' '}
            {NOTIFICATION_LABELS[kind]}
          </label>
        ))}
      <label>
        <input type="checkbox" disabled={!supported} checked={browserEnabled} onChange={(e) => void setBrowserEnabled(e.target.checked)} />{' '}
        Browser notifications when this tab is hidden{!supported && ' (not supported here)'}
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}
