import { decode } from 'notepack.io';
import { webhookReceivedAtOf } from '@taskflow/events';
import type { RealtimeMetrics } from '../metrics';

type Payload =
  | {
      updatedAt?: unknown;
      taskId?: unknown;
      seq?: unknown;
      event?: { createdAt?: unknown; payload?: unknown };
    }
  | undefined;

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

/** A broadcast as the adapters publish it: its packet, the rooms it goes to (none: everyone) and the rooms left out. */
export interface DecodedBroadcast {
  packet: unknown;
  rooms: string[];
  except: string[];
  /** The publishing span's W3C traceparent, which our workers add beside the adapter's options while tracing is on. */
  traceParent?: string;
}

/** A carried traceparent, if it looks like one (version-traceid-spanid-flags); the adapters ignore the field. */
const traceParentOf = (opts: { traceparent?: unknown } | undefined) =>
  typeof opts?.traceparent === 'string' && opts.traceparent.length <= 64 ? opts.traceparent : undefined;

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((r): r is string => typeof r === 'string') : []);

/** A broadcast off the classic adapter's channels (`[uid, packet, opts]`, msgpack); undefined for anything else. */
export function decodeClassicBroadcast(message: Buffer): DecodedBroadcast | undefined {
  let decoded: unknown;
  try {
    decoded = decode(message);
  } catch {
    return undefined; // Not a broadcast (e.g. an adapter request).
  }
  if (!Array.isArray(decoded)) return undefined;
  const [, packet, opts] = decoded as [unknown, unknown, { rooms?: unknown; except?: unknown; traceparent?: unknown } | undefined];
  return { packet, rooms: strings(opts?.rooms), except: strings(opts?.except), traceParent: traceParentOf(opts) };
}

/** Counts one broadcast off the adapter's channel and records its commit → broadcast lag when it carries a commit time. */
export function observeBroadcast(message: Buffer, metrics: RealtimeMetrics, now = Date.now()): void {
  const broadcast = decodeClassicBroadcast(message);
  if (broadcast) observePacket(broadcast.packet, metrics, now);
}

/** A broadcast off the sharded adapter's channels (Redis Cluster); undefined for anything else. */
export function decodeClusterBroadcast(message: Buffer): DecodedBroadcast | undefined {
  let decoded:
    | {
        type?: unknown;
        data?: { packet?: unknown; requestId?: unknown; opts?: { rooms?: unknown; except?: unknown; traceparent?: unknown } };
      }
    | undefined;
  try {
    // socket.io-adapter's ClusterMessage: JSON, or msgpack when it carries binary.
    decoded = (message[0] === 0x7b ? JSON.parse(message.toString()) : decode(message)) as typeof decoded;
  } catch {
    return undefined;
  }
  // 3: BROADCAST (socket.io-adapter's MessageType).
  if (decoded?.type !== 3 || !decoded.data) return undefined;
  const { opts } = decoded.data;
  return { packet: decoded.data.packet, rooms: strings(opts?.rooms), except: strings(opts?.except), traceParent: traceParentOf(opts) };
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
  const received = event === 'task:event_added' ? webhookReceivedAtOf(payload?.event?.payload) : undefined;
  if (received === undefined) return;
  metrics.webhookToBroadcast.observe(Math.max(0, now - received) / 1000);
  // Remembered for the browsers' `task:shown` reports (webhook → screen).
  if (typeof payload?.taskId === 'string' && typeof payload.seq === 'number')
    metrics.webhookScreen.delivered(payload.taskId, payload.seq, received);
}
