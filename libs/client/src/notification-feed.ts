import type { Notification, ServerEventPayload } from '@taskflow/events';
import type { TaskflowClient } from './client';
import { toTaskflowError, type TaskflowError } from './errors';
import { Store } from './store';

export interface NotificationFeedState {
  /** Newest first, at most MAX_NOTIFICATIONS. */
  notifications: readonly Notification[];
  unreadCount: number;
  loaded: boolean;
  error?: TaskflowError;
}

export type MarkRead = { ids: string[] } | { all: true };
export const MAX_NOTIFICATIONS = 50;

/**
 * The signed-in user's notifications: read over REST on every (re)connect and on `sync:required` (what was
 * broadcast meanwhile never reached this client), then live from the user's own room (`notification:created`, and
 * `notification:read` from any tab). Without realtime it polls.
 */
export class NotificationFeed extends Store<NotificationFeedState> {
  private readonly cleanup: Array<() => void> = [];
  private readonly createdListeners = new Set<(notification: Notification) => void>();
  private closed = false;

  constructor(readonly client: TaskflowClient) {
    super({ notifications: [], unreadCount: 0, loaded: false });
    void this.load();
    if (!client.socket) {
      const timer = setInterval(() => void this.load(), client.pollMs);
      this.cleanup.push(() => clearInterval(timer));
      return;
    }
    this.cleanup.push(
      client.on('connect', () => void this.load()),
      client.on('sync:required', () => void this.load()),
      client.on('notification:created', (p) => this.created(p)),
      client.on('notification:read', (p) => this.onRead(p)),
    );
  }

  /** Called for each notification that arrives live (once per id): for toasts and system notifications. */
  onCreated(listener: (notification: Notification) => void): () => void {
    this.createdListeners.add(listener);
    return () => void this.createdListeners.delete(listener);
  }

  async load(): Promise<void> {
    try {
      const res = await this.client.http.get<{ notifications: Notification[]; unreadCount: number }>('/api/notifications');
      if (!this.closed) this.update({ notifications: res.notifications, unreadCount: res.unreadCount, loaded: true, error: undefined });
    } catch (err) {
      if (!this.closed) this.update({ error: toTaskflowError(err) });
    }
  }

  private created({ notification, unreadCount }: ServerEventPayload<'notification:created'>): void {
    const list = this.getSnapshot().notifications;
    const known = list.some((n) => n.id === notification.id);
    this.update({ unreadCount, ...(known ? {} : { notifications: [notification, ...list].slice(0, MAX_NOTIFICATIONS) }) });
    if (!known) for (const listener of [...this.createdListeners]) listener(notification);
  }

  private onRead({ ids, all, unreadCount }: ServerEventPayload<'notification:read'>): void {
    const now = new Date().toISOString();
    const notifications = this.getSnapshot().notifications.map((n) =>
      n.readAt === null && (all || ids.includes(n.id)) ? { ...n, readAt: now } : n,
    );
    this.update({ notifications, unreadCount });
  }

  /** Marks some (or all) as read on the server; every tab hears `notification:read`. */
  async markRead(which: MarkRead): Promise<void> {
    const res = await this.client.http.post<{ ids: string[]; unreadCount: number }>('/api/notifications/read', which);
    const now = new Date().toISOString();
    const notifications = this.getSnapshot().notifications.map((n) => (res.ids.includes(n.id) ? { ...n, readAt: n.readAt ?? now } : n));
    this.update({ notifications, unreadCount: res.unreadCount });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.cleanup.splice(0)) off();
    this.createdListeners.clear();
  }
}
