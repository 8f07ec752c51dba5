import pg from 'pg';
import { TASK_EVENTS_CHANNEL } from '@taskflow/events';
import type { Logger } from '@taskflow/platform';
import {
  countOrgTasks,
  countPrivateTasks,
  getTask,
  markPublished,
  notificationsOfEvents,
  unpublishedEvents,
  unpublishedEventsOf,
  type Db,
} from '@taskflow/store';
import { broadcastsFor, type Emit } from './broadcast';

/** Delivers a batch of broadcasts; resolves only once they were handed over (see RedisBroadcaster). */
export interface Broadcaster {
  publish(emits: readonly Emit[]): Promise<void>;
}

// Any constant: the advisory lock that elects one publishing worker at a time.
const PUBLISHER_LOCK = 724_251_903;

/**
 * Publishes committed task events to browsers through Redis (the Socket.IO
 * adapter's channels). Woken by PostgreSQL NOTIFY (sent on commit) for latency,
 * and backed by a sweep of the outbox for what a crash, a lost notification or
 * a Redis outage left behind: an event is marked published only once Redis
 * acknowledged it; at-least-once, clients drop duplicates by seq. One task's
 * events are always published in seq order (a chain of promises per task).
 */
export class EventPublisher {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly broadcaster: Broadcaster,
    private readonly logger: Logger,
  ) {}

  /** Publishes whatever of this task is unpublished; concurrent calls for one task run one after the other. */
  publishTask(taskId: string): Promise<void> {
    const previous = this.chains.get(taskId) ?? Promise.resolve();
    const next = previous
      .then(() => this.publishNow(taskId))
      .catch((err: unknown) => this.logger.warn({ err, taskId }, 'publish failed; the sweep will retry'))
      .finally(() => {
        if (this.chains.get(taskId) === next) this.chains.delete(taskId);
      });
    this.chains.set(taskId, next);
    return next;
  }

  private async publishNow(taskId: string): Promise<void> {
    const events = await unpublishedEventsOf(this.db, taskId);
    if (events.length === 0) return;
    const found = await getTask(this.db, 'system', taskId);
    if (!found) return;
    const { task } = found;
    const counts = task.isPrivate
      ? { ...(await countPrivateTasks(this.db, task.creatorId)), scope: 'private' as const }
      : { ...(await countOrgTasks(this.db, task.orgId)), scope: 'shared' as const };
    // Throws when Redis did not take the batch: the rows stay unpublished for the sweep.
    const notifications = await notificationsOfEvents(this.db, taskId, events.map((e) => e.seq));
    await this.broadcaster.publish(broadcastsFor(task, events, counts, notifications));
    await markPublished(this.db, events.map((e) => ({ taskId: e.taskId, seq: e.seq })));
    this.logger.debug({ taskId, seqs: events.map((e) => e.seq) }, 'published');
  }

  /** Publishes events older than `olderThanMs` that are still unpublished (their publisher died, or NOTIFY was missed). */
  async sweep(olderThanMs: number): Promise<number> {
    const stale = await unpublishedEvents(this.db, { olderThanMs, limit: 1000 });
    const taskIds = [...new Set(stale.map((e) => e.taskId))];
    await Promise.all(taskIds.map((id) => this.publishTask(id)));
    return stale.length;
  }

  async idle(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }
}

/**
 * Runs the publisher on one worker at a time: the holder of an advisory lock
 * LISTENs for commits and sweeps; the others retry the lock, so a dead leader's
 * role (and its backlog, through the sweep) is taken over within seconds.
 */
export function runPublisherLeader(opts: {
  databaseUrl: string;
  publisher: EventPublisher;
  logger: Logger;
  sweepEveryMs: number;
  sweepOlderThanMs: number;
}): () => Promise<void> {
  let client: pg.Client | undefined;
  let stopped = false;
  let sweeping = false;
  const sweep = () => {
    if (!client || sweeping) return;
    sweeping = true;
    opts.publisher
      .sweep(opts.sweepOlderThanMs)
      .then((n) => n > 0 && opts.logger.info({ events: n }, 'sweep published stale events'))
      .catch((err: unknown) => opts.logger.warn({ err }, 'sweep failed'))
      .finally(() => (sweeping = false));
  };
  const tryLead = async () => {
    if (client || stopped) return;
    const c = new pg.Client({ connectionString: opts.databaseUrl, application_name: 'taskflow-publisher' });
    c.on('error', (err) => {
      opts.logger.warn({ err: err.message }, 'publisher connection lost');
      if (client === c) client = undefined;
      void c.end().catch(() => undefined);
    });
    try {
      await c.connect();
      const { rows } = await c.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [PUBLISHER_LOCK]);
      if (!rows[0]?.locked || stopped) {
        await c.end();
        return;
      }
      c.on('notification', (msg) => {
        if (msg.payload) void opts.publisher.publishTask(msg.payload);
      });
      await c.query(`LISTEN ${TASK_EVENTS_CHANNEL}`);
      client = c;
      opts.logger.info('this worker publishes task events');
      // What was committed while nobody listened.
      void opts.publisher.sweep(0).catch((err: unknown) => opts.logger.warn({ err }, 'initial sweep failed'));
    } catch (err) {
      opts.logger.debug({ err }, 'publisher lock attempt failed');
      await c.end().catch(() => undefined);
    }
  };
  void tryLead();
  const timer = setInterval(() => {
    if (client) sweep();
    else void tryLead();
  }, opts.sweepEveryMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await opts.publisher.idle();
    if (client) await client.end().catch(() => undefined);
    client = undefined;
  };
}
