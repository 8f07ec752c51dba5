import { useCallback, useRef, useState } from 'react';
import type { Notification } from '@taskflow/events';
import { useNotifications } from '../realtime/notifications';
import { navigate } from '../router';
import { NotificationPreferences } from './notification-preferences';
import { RelativeTime } from './relative-time';
import { usePopoverDismiss } from './use-popover-dismiss';

function open(n: Notification, markRead: (w: { ids: string[] }) => Promise<void>, close: () => void) {
  if (n.readAt === null) void markRead({ ids: [n.id] }).catch(() => undefined);
  close();
  navigate(`/tasks/${n.taskId}`);
}

/** The bell: unread count, the list (newest first), mark read, and preferences. */
export function NotificationBell() {
  const { notifications, unreadCount, markRead } = useNotifications();
  const [expanded, setExpanded] = useState(false);
  const [prefs, setPrefs] = useState(false);
  const close = useCallback(() => setExpanded(false), []);
  const container = useRef<HTMLDivElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  usePopoverDismiss(container, trigger, expanded, close);
  return (
    <div className="bell" ref={container}>
      <button
        ref={trigger}
        type="button"
        className="bell-button"
        aria-expanded={expanded}
        aria-controls="notification-list"
        aria-label={`Notifications, ${unreadCount} unread`}
        onClick={() => setExpanded((e) => !e)}
      >
        {/* An inline icon: an emoji would depend on the system's fonts. */}
        <svg
          aria-hidden="true"
          width="18"
          height="18"
          viewBox="0 0 24 24"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          strokeLinecap="round"
          strokeLinejoin="round"
        >
          <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
          <path d="M13.73 21a2 2 0 0 1-3.46 0" />
        </svg>
        {unreadCount > 0 && (
          <span className="bell-count" data-testid="unread-count">
            {unreadCount}
          </span>
        )}
      </button>
      {expanded && (
        <div className="bell-panel card" id="notification-list" role="region" aria-label="Notifications">
          <div className="bell-actions">
            <button type="button" disabled={unreadCount === 0} onClick={() => void markRead({ all: true }).catch(() => undefined)}>
              Mark all read
            </button>
            <button type="button" aria-expanded={prefs} onClick={() => setPrefs((p) => !p)}>
              Preferences
            </button>
          </div>
          {prefs && <NotificationPreferences />}
          {notifications.length === 0 ? (
            <p className="muted">Nothing yet. You hear about tasks you created or follow.</p>
          ) : (
            <ul className="notification-list">
              {notifications.map((n) => (
                <li key={n.id} className={n.readAt ? 'read' : 'unread'} data-kind={n.kind}>
                  <a
                    href={`/tasks/${n.taskId}`}
                    onClick={(e) => {
                      e.preventDefault();
                      open(n, markRead, close);
                    }}
                  >
                    {n.readAt === null && <span className="sr-only">Unread: </span>}
                    {n.message}
                  </a>{' '}
                  <RelativeTime iso={n.createdAt} />
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
