import { decode } from 'notepack.io';
import type { RealtimeMetrics } from '../metrics';

type Payload = { updatedAt?: unknown; event?: { createdAt?: unknown; payload?: { detail?: { webhookReceivedAt?: unknown } } } } | undefined;

/**
 * When the change a broadcast carries was committed: a timeline event's
 * `createdAt`, a dashboard row's `updatedAt` (set in the committing
 * transaction). Dashboards are where most sockets are, so a node serving only
 * dashboards still measures its lag.
 */
const COMMITTED_AT: Readonly<Record<string, (p: Payload) => unknown>> = {
  'task:event_added': (p) => p?.event?.createdAt,
  'dashboard:task_list_updated': (p) => p?.updatedAt,
};

/** Counts one broadcast off the adapter's channel and records its commit → broadcast lag when it carries a commit time. */
export function observeBroadcast(message: Buffer, metrics: RealtimeMetrics, now = Date.now()): void {
  let event: unknown;
  let payload: Payload;
  try {
    const [, packet] = decode(message) as [string, { data?: [unknown, Payload] } | undefined];
    [event, payload] = packet?.data ?? [];
  } catch {
    return; // Not a broadcast (e.g. an adapter request): nothing to count.
  }
  if (typeof event !== 'string') return;
  metrics.recordBroadcast(event);
  const committedAt = Object.hasOwn(COMMITTED_AT, event) ? COMMITTED_AT[event]!(payload) : undefined;
  const at = typeof committedAt === 'string' ? Date.parse(committedAt) : NaN;
  if (Number.isFinite(at)) metrics.publishLag.observe(Math.max(0, now - at) / 1000);
  // A timeline event caused by a GitHub delivery carries when the API received it (the job's receivedAt).
  const receivedAt = event === 'task:event_added' ? payload?.event?.payload?.detail?.webhookReceivedAt : undefined;
  const received = typeof receivedAt === 'string' ? Date.parse(receivedAt) : NaN;
  if (Number.isFinite(received)) metrics.webhookToBroadcast.observe(Math.max(0, now - received) / 1000);
}
