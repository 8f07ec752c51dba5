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
  let packet: unknown;
  try {
    [, packet] = decode(message) as [string, unknown];
  } catch {
    return; // Not a broadcast (e.g. an adapter request): nothing to count.
  }
  observePacket(packet, metrics, now);
}

/** A broadcast off the sharded adapter's channels (Redis Cluster): its packet and rooms; undefined for anything else. */
export function decodeClusterBroadcast(message: Buffer): { packet: unknown; rooms: string[] } | undefined {
  let decoded: { type?: unknown; data?: { packet?: unknown; requestId?: unknown; opts?: { rooms?: unknown } } } | undefined;
  try {
    // socket.io-adapter's ClusterMessage: JSON, or msgpack when it carries binary.
    decoded = (message[0] === 0x7b ? JSON.parse(message.toString()) : decode(message)) as typeof decoded;
  } catch {
    return undefined;
  }
  // 3: BROADCAST (socket.io-adapter's MessageType).
  if (decoded?.type !== 3 || !decoded.data) return undefined;
  const rooms = Array.isArray(decoded.data.opts?.rooms) ? decoded.data.opts.rooms.filter((r): r is string => typeof r === 'string') : [];
  return { packet: decoded.data.packet, rooms };
}

/** Counts one broadcast packet and records its lags (see observeBroadcast). */
export function observePacket(packet: unknown, metrics: RealtimeMetrics, now = Date.now()): void {
  const [event, payload] = ((packet as { data?: unknown } | undefined)?.data ?? []) as [unknown, Payload];
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
