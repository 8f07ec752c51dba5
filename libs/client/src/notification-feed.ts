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
  /** Answers to an older load are dropped (a newer one was read later). */
  private generation = 0;
  /** What arrived live since the current load began: its answer, read maybe before, must not lose them. */
  private liveSinceLoad: Array<ServerEventPayload<'notification:created'>> = [];

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
    const mine = ++this.generation;
    this.liveSinceLoad = [];
    try {
      const res = await this.client.http.get<{ notifications: Notification[]; unreadCount: number }>('/api/notifications');
      if (this.closed || mine !== this.generation) return;
      // The server may have read before notifications that came live meanwhile: they stay, with their count.
      const live = this.liveSinceLoad;
      const ids = new Set(res.notifications.map((n) => n.id));
      const missed = live.map((p) => p.notification).filter((n) => !ids.has(n.id));
      const notifications = [...missed.reverse(), ...res.notifications].slice(0, MAX_NOTIFICATIONS);
      const unreadCount = Math.max(res.unreadCount, ...live.map((p) => p.unreadCount));
      this.update({ notifications, unreadCount, loaded: true, error: undefined });
    } catch (err) {
      if (!this.closed && mine === this.generation) this.update({ error: toTaskflowError(err) });
    }
  }

  private created(payload: ServerEventPayload<'notification:created'>): void {
    const { notification, unreadCount } = payload;
    this.liveSinceLoad.push(payload);
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
    if (this.closed) return;
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
