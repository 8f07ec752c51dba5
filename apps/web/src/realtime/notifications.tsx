import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useEffectEvent,
  useMemo,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import type { MarkRead, NotificationFeed, NotificationFeedState } from '@taskflow/client';
import type { Notification } from '@taskflow/events';
import { useFeedClient } from './socket';

const BROWSER_KEY = 'taskflow.browserNotifications';
const MAX_TOASTS = 3;
const TOAST_MS = 8000;

export interface NotificationsState {
  notifications: readonly Notification[];
  unreadCount: number;
  /** Notifications that arrived live, shown as toasts until dismissed or timed out. */
  toasts: Notification[];
  dismissToast(id: string): void;
  markRead(which: MarkRead): Promise<void>;
  /** Opt-in (this browser): a system notification when one arrives while the tab is hidden. */
  browserEnabled: boolean;
  setBrowserEnabled(on: boolean): Promise<void>;
}

const NotificationsContext = createContext<NotificationsState | null>(null);

function browserNotify(n: Notification): void {
  if (typeof window.Notification === 'undefined' || window.Notification.permission !== 'granted') return;
  const note = new window.Notification('Taskflow Live', { body: n.message, tag: n.id });
  note.onclick = () => {
    window.focus();
    window.location.assign(`/tasks/${n.taskId}`);
  };
}

const noSubscribe = () => () => undefined;
type Shown = Pick<NotificationFeedState, 'notifications' | 'unreadCount'>;
const NOTHING: Shown = Object.freeze({ notifications: [], unreadCount: 0 });
const nothing = (): Shown => NOTHING;

/**
 * The signed-in user's notifications (NotificationFeed of @taskflow/client: read on every (re)connect and on
 * `sync:required`, then live from the user's own room), and toasts for those that arrive live.
 */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const client = useFeedClient('notifications');
  const [opened, setOpened] = useState<NotificationFeed | null>(null);
  const [toasts, setToasts] = useState<Notification[]>([]);
  const [browserEnabled, setBrowser] = useState(() => localStorage.getItem(BROWSER_KEY) === 'on');
  // The current choice, without re-subscribing when it changes.
  const notifyBrowser = useEffectEvent((notification: Notification) => {
    if (browserEnabled && document.visibilityState === 'hidden') browserNotify(notification);
  });

  useEffect(() => {
    if (!client) return;
    const feed = client.notifications();
    const timers = new Set<ReturnType<typeof setTimeout>>();
    feed.onCreated((notification) => {
      setToasts((list) => [notification, ...list.filter((t) => t.id !== notification.id)].slice(0, MAX_TOASTS));
      timers.add(setTimeout(() => setToasts((list) => list.filter((t) => t.id !== notification.id)), TOAST_MS));
      notifyBrowser(notification);
    });
    // eslint-disable-next-line react-hooks/set-state-in-effect -- one render per client, it cannot be created during render
    setOpened(feed);
    return () => {
      feed.close();
      for (const timer of timers) clearTimeout(timer);
    };
  }, [client]);
  const feed = opened?.client === client ? opened : null;
  const { notifications, unreadCount } = useSyncExternalStore<Shown>(feed?.subscribe ?? noSubscribe, feed?.getSnapshot ?? nothing);

  const markRead = useCallback(async (which: MarkRead) => feed?.markRead(which), [feed]);

  const setBrowserEnabled = useCallback(async (on: boolean) => {
    if (on && typeof window.Notification !== 'undefined' && window.Notification.permission !== 'granted') {
      const permission = await window.Notification.requestPermission();
      if (permission !== 'granted') on = false;
    }
    localStorage.setItem(BROWSER_KEY, on ? 'on' : 'off');
    setBrowser(on);
  }, []);

  const value = useMemo(
    () => ({
      notifications,
      unreadCount,
      toasts,
      dismissToast: (id: string) => setToasts((list) => list.filter((t) => t.id !== id)),
      markRead,
      browserEnabled,
      setBrowserEnabled,
    }),
    [notifications, unreadCount, toasts, markRead, browserEnabled, setBrowserEnabled],
  );
  return <NotificationsContext.Provider value={value}>{children}</NotificationsContext.Provider>;
}

export function useNotifications(): NotificationsState {
  const value = useContext(NotificationsContext);
  if (!value) throw new Error('useNotifications needs a NotificationsProvider');
  return value;
}
