import { createContext, useCallback, useContext, useEffect, useEffectEvent, useMemo, useState, type ReactNode } from 'react';
import type { Notification, ServerEventPayload } from '@taskflow/events';
import { api } from '../api/client';
import { useWebSocket } from './socket';

const BROWSER_KEY = 'taskflow.browserNotifications';
const MAX_TOASTS = 3;
const TOAST_MS = 8000;

export interface NotificationsState {
  notifications: Notification[];
  unreadCount: number;
  /** Notifications that arrived live, shown as toasts until dismissed or timed out. */
  toasts: Notification[];
  dismissToast(id: string): void;
  markRead(which: { ids: string[] } | { all: true }): Promise<void>;
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

/**
 * The signed-in user's notifications: loaded once per (re)connection and on `sync:required`, then live from
 * the user's own room (`notification:created`, and `notification:read` from any tab).
 */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const { socket } = useWebSocket();
  const [notifications, setNotifications] = useState<Notification[]>([]);
  const [unreadCount, setUnreadCount] = useState(0);
  const [toasts, setToasts] = useState<Notification[]>([]);
  const [browserEnabled, setBrowser] = useState(() => localStorage.getItem(BROWSER_KEY) === 'on');
  // The current choice, without re-subscribing when it changes.
  const notifyBrowser = useEffectEvent((notification: Notification) => {
    if (browserEnabled && document.visibilityState === 'hidden') browserNotify(notification);
  });

  const load = useCallback(() => {
    api<{ notifications: Notification[]; unreadCount: number }>('GET', '/api/notifications').then(
      (res) => {
        setNotifications(res.notifications);
        setUnreadCount(res.unreadCount);
      },
      () => undefined,
    );
  }, []);

  useEffect(() => {
    load();
    if (!socket) return;
    const onCreated = ({ notification, unreadCount: count }: ServerEventPayload<'notification:created'>) => {
      setNotifications((list) => (list.some((n) => n.id === notification.id) ? list : [notification, ...list].slice(0, 50)));
      setUnreadCount(count);
      setToasts((list) => [notification, ...list.filter((t) => t.id !== notification.id)].slice(0, MAX_TOASTS));
      setTimeout(() => setToasts((list) => list.filter((t) => t.id !== notification.id)), TOAST_MS);
      notifyBrowser(notification);
    };
    const onRead = ({ ids, all, unreadCount: count }: ServerEventPayload<'notification:read'>) => {
      const now = new Date().toISOString();
      setNotifications((list) => list.map((n) => (n.readAt === null && (all || ids.includes(n.id)) ? { ...n, readAt: now } : n)));
      setUnreadCount(count);
    };
    // After a reconnect, catch up on what arrived meanwhile; likewise when the node's Redis subscription
    // was interrupted (sync:required): notifications broadcast meanwhile never reached this tab.
    socket.on('connect', load);
    socket.on('sync:required', load);
    socket.on('notification:created', onCreated);
    socket.on('notification:read', onRead);
    return () => {
      socket.off('connect', load);
      socket.off('sync:required', load);
      socket.off('notification:created', onCreated);
      socket.off('notification:read', onRead);
    };
  }, [socket, load]);

  const markRead = useCallback(async (which: { ids: string[] } | { all: true }) => {
    const res = await api<{ ids: string[]; unreadCount: number }>('POST', '/api/notifications/read', which);
    const now = new Date().toISOString();
    setNotifications((list) => list.map((n) => (res.ids.includes(n.id) ? { ...n, readAt: n.readAt ?? now } : n)));
    setUnreadCount(res.unreadCount);
  }, []);

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
