import type { Histogram } from 'prom-client';

/** How long after its broadcast a `task:shown` report is still counted, and how many events are remembered. */
export const SHOWN_WITHIN_MS = 60_000;
const REMEMBERED = 5_000;
/** Reports remembered per socket (a repeat is not counted again); a task page shows a handful of webhook events. */
const PER_SOCKET = 64;

/**
 * Webhook → screen, on this node's clock only: the node remembers when the API received the webhook behind each
 * timeline event it delivered (`detail.webhookReceivedAt`), and a browser that painted the event says so
 * (`task:shown`). The time counted ends when that report arrives, so it includes the report's own trip (an upper
 * bound by a one-way hop), and no browser clock is trusted. A report only names an event: a client cannot make up a
 * time, only delay its report, and only once per event and socket.
 */
export class WebhookScreenTimer {
  /** `taskId:seq` → when the webhook reached the API (ms), oldest first. */
  private readonly received = new Map<string, number>();
  /** The events each reporter (a socket) was counted for: a repeat is not counted again. Gone with the socket. */
  private readonly reportedBy = new WeakMap<object, Set<string>>();

  constructor(
    private readonly histogram: Pick<Histogram, 'observe'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A timeline event caused by a webhook reached this node's sockets. */
  delivered(taskId: string, seq: number, webhookReceivedAt: number): void {
    const key = `${taskId}:${seq}`;
    if (this.received.has(key)) return;
    this.received.set(key, webhookReceivedAt);
    if (this.received.size > REMEMBERED) this.received.delete(this.received.keys().next().value!);
  }

  /** `reporter` (a socket) painted event `seq` of `taskId`: counted when this node delivered it within the last minute, once per reporter. */
  shown(reporter: object, taskId: string, seq: number): boolean {
    const key = `${taskId}:${seq}`;
    const at = this.received.get(key);
    let reported = this.reportedBy.get(reporter);
    if (!reported) this.reportedBy.set(reporter, (reported = new Set()));
    if (at === undefined || reported.has(key)) return false;
    const ms = this.now() - at;
    if (ms > SHOWN_WITHIN_MS) return false;
    if (reported.size >= PER_SOCKET) reported.delete(reported.values().next().value!);
    reported.add(key);
    // Below 0 only when the API node's clock is ahead of this one's (as the broadcast histogram, counted as 0).
    this.histogram.observe(Math.max(0, ms) / 1000);
    return true;
  }
}
