import { dashboardRoomOf, STATUS_AFTER_EVENT, statusGroup, TASK_UPDATE_EVENT_TYPES, type ServerEventPayload } from '@taskflow/events';
import { SpanKind, withSpan, type Logger } from '@taskflow/platform';
import {
  countOrgTasks,
  countPrivateTasks,
  getTask,
  markPublished,
  notificationsOfEvents,
  unpublishedEvents,
  unpublishedEventsOf,
  type Db,
  type TaskEventRow,
  type TaskRecord,
} from '@taskflow/store';
import { broadcastsFor, type Emit } from './broadcast';

/** Delivers a batch of broadcasts; resolves only once they were handed over (see RedisBroadcaster). */
export interface Broadcaster {
  publish(emits: readonly Emit[]): Promise<void>;
}

type Counts = ServerEventPayload<'dashboard:task_count_changed'>;

/** Events that leave a task in the same status group (active → active, or no status change): counts stay. */
function keepsCounts(type: string): boolean {
  if ((TASK_UPDATE_EVENT_TYPES as readonly string[]).includes(type)) return true;
  if (type === 'created' || type === 'retried' || !Object.hasOwn(STATUS_AFTER_EVENT, type)) return false;
  return statusGroup(STATUS_AFTER_EVENT[type as keyof typeof STATUS_AFTER_EVENT]) === 'active';
}

/**
 * Publishes committed task events to browsers through Redis (the Socket.IO
 * adapter's channels). Woken by PostgreSQL NOTIFY (sent on commit) for latency,
 * and backed by a sweep of the outbox for what a crash, a lost notification or
 * a Redis outage left behind: an event is marked published only once Redis
 * acknowledged it; at-least-once, clients drop duplicates by seq. One task's
 * events are always published in seq order (a chain of promises per task).
 *
 * A burst of commits of one task is conflated: wake-ups that arrive while a
 * publish runs share one follow-up publish, and the dashboard row (with the
 * counts) goes out only with the batch that reaches the task's current seq —
 * never twice for one seq from this publisher, never below one it sent.
 * Which worker runs it, and what wakes it: `runPublisherLeader` (outbox.leader.ts).
 */
export class EventPublisher {
  private readonly chains = new Map<string, { tail: Promise<void>; queued?: Promise<void> }>();
  /** The highest dashboard-row seq Redis acknowledged per task (bounded; forgetting only risks a duplicate clients drop). */
  private readonly rowSent = new Map<string, number>();
  /** Per dashboard room: the last counts read, and the last count event Redis acknowledged. */
  private readonly roomCounts = new Map<string, { counts: Counts; sent: string | undefined }>();

  constructor(
    private readonly db: Db,
    private readonly broadcaster: Broadcaster,
    private readonly logger: Logger,
    private readonly rowMemory = 10_000,
  ) {}

  /** Publishes whatever of this task is unpublished; calls while one is waiting to start share it. */
  publishTask(taskId: string): Promise<void> {
    const chain = this.chains.get(taskId);
    if (chain?.queued) return chain.queued;
    const entry = chain ?? { tail: Promise.resolve() };
    const next = entry.tail
      .then(() => {
        // From here on a new wake-up needs a run of its own: this one may have read before that commit.
        if (entry.queued === next) entry.queued = undefined;
        return this.publishNow(taskId);
      })
      .catch((err: unknown) => this.logger.warn({ err, taskId }, 'publish failed; the sweep will retry'))
      .finally(() => {
        if (entry.tail === next) this.chains.delete(taskId);
      });
    entry.tail = next;
    entry.queued = next;
    this.chains.set(taskId, entry);
    return next;
  }

  private async publishNow(taskId: string): Promise<void> {
    const events = await unpublishedEventsOf(this.db, taskId);
    if (events.length === 0) return;
    // Tracing on: continues the trace of the first traced commit in the batch (the others are linked; events committed
    // without a trace, e.g. before a restart, add nothing), and the broadcast carries this span to the nodes.
    const traced = events.map((e) => e.traceParent).filter((t): t is string => Boolean(t));
    await withSpan(
      'outbox.publish',
      {
        parent: traced[0] ?? null,
        links: traced.slice(1),
        kind: SpanKind.PRODUCER,
        attributes: { 'task.id': taskId, 'task.seqs': events.map((e) => e.seq) },
      },
      () => this.publishEvents(taskId, events),
    );
  }

  private async publishEvents(taskId: string, events: TaskEventRow[]): Promise<void> {
    const found = await getTask(this.db, 'system', taskId);
    if (!found) return;
    const { task } = found;
    const batchSeq = Math.max(...events.map((e) => e.seq));
    // A later commit (seq > batchSeq) is already in the row: its own publish, which follows, carries the row.
    const withRow = task.seq <= batchSeq && task.seq > (this.rowSent.get(taskId) ?? 0);
    const room = dashboardRoomOf(task);
    const counts = withRow ? await this.countsOf(task, room, events) : undefined;
    const countsKey = counts && JSON.stringify(counts);
    const countsChanged = countsKey !== undefined && countsKey !== this.roomCounts.get(room)?.sent;
    const notifications = await notificationsOfEvents(
      this.db,
      taskId,
      events.map((e) => e.seq),
    );
    // Throws when Redis did not take the batch: the rows stay unpublished for the sweep.
    await this.broadcaster.publish(broadcastsFor(task, events, counts, notifications, countsChanged));
    if (withRow) this.rememberRow(taskId, task.seq);
    if (counts) this.remember(this.roomCounts, room, { counts, sent: countsKey });
    await markPublished(
      this.db,
      events.map((e) => ({ taskId: e.taskId, seq: e.seq })),
    );
    this.logger.debug({ taskId, seqs: events.map((e) => e.seq), row: withRow ? task.seq : null }, 'published');
  }

  /**
   * The counts of the task's dashboard room. A batch of status moves between active statuses (or of same-status
   * updates) cannot change them: the room's last counts stand, without a query. Every other batch counts afresh.
   */
  private async countsOf(task: TaskRecord, room: string, events: readonly TaskEventRow[]): Promise<Counts> {
    const known = this.roomCounts.get(room)?.counts;
    if (known && events.every((e) => keepsCounts(e.eventType))) return known;
    return task.isPrivate
      ? { ...(await countPrivateTasks(this.db, task.creatorId)), scope: 'private' }
      : { ...(await countOrgTasks(this.db, task.orgId)), scope: 'shared' };
  }

  private rememberRow(taskId: string, seq: number): void {
    this.remember(this.rowSent, taskId, seq);
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    // Oldest first (insertion order): what changed least recently.
    if (map.size > this.rowMemory) map.delete(map.keys().next().value as string);
  }

  /** Publishes events older than `olderThanMs` that are still unpublished (their publisher died, or NOTIFY was missed). */
  async sweep(olderThanMs: number): Promise<number> {
    const stale = await unpublishedEvents(this.db, { olderThanMs, limit: 1000 });
    const taskIds = [...new Set(stale.map((e) => e.taskId))];
    await Promise.all(taskIds.map((id) => this.publishTask(id)));
    return stale.length;
  }

  async idle(): Promise<void> {
    await Promise.all([...this.chains.values()].map((c) => c.tail));
  }
}
