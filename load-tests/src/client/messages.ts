import type { HistogramSnapshot } from '../stats/histogram';
import type { WindowedSnapshot } from '../stats/windowed-latency';

/** What one generated socket does once connected: join the dashboard, or one task's room. */
/** `batch`: the socket takes `dashboard:batch` frames, as @taskflow/client's dashboard feed does. */
type JoinPlan = { event: 'dashboard:join'; data: { batch?: boolean } } | { event: 'task:join'; data: { taskId: string } };

export interface SocketPlan {
  /** Key for the final seqs: the org (dashboard) or the task (task room). */
  scope: string;
  token: string | undefined;
  join: JoinPlan;
  localAddress: string | undefined;
  /** This socket's server when it differs from the pool's (the baseline's nodes, directly). */
  url?: string;
  /**
   * A slow reader (slow-clients): after its join it reads at most this many bytes per second from its TCP socket, 0 =
   * not at all (paused). Its deliveries are reported apart (`slow`), not in the latency, lost or frame counts.
   */
  slowBytesPerSec?: number;
  /**
   * After an unexpected close, reconnect with the client library's backoff (1 s doubling to 5 s, ±50 % jitter) and
   * join again (reconnect-storm); counted apart from the unexpected closes. Otherwise a drop is only counted.
   */
  reconnect?: boolean;
}

export interface PollPlan {
  scope: string;
  token: string;
  /** `taskflow_session=…`: poll as a browser does, with its session cookie instead of the Bearer token. */
  cookie?: string;
}

/** Final seq of every task the run touched, by scope (org id or task id), for the lost count. */
export type Finals = Record<string, Record<string, number>>;

export type ParentMessage =
  | { type: 'open'; url: string; sockets: SocketPlan[]; connectsPerSec: number; timeoutMs: number }
  | { type: 'poll'; url: string; dashboards: PollPlan[]; everyMs: number; durationMs: number }
  | { type: 'report'; finals: Finals }
  | { type: 'close' };

export interface OpenedReport {
  type: 'opened';
  connected: number;
  errors: number;
  errorSamples: string[];
  connectJoin: HistogramSnapshot;
  /** The join event alone: sent → acked. */
  join: HistogramSnapshot;
}

export interface DeliveryReport {
  type: 'report';
  latency: HistogramSnapshot;
  /** The same latencies per few-second window of receipt time (scenarios whose load changes mid-run). */
  windows: WindowedSnapshot;
  /** `connection:reconnect` received (a node moving the socket elsewhere), and the moves that failed to re-join. */
  moves: number;
  moveErrors: number;
  /** reconnect plans: closes followed by a reconnect, close → joined again, and sockets still not back. */
  reconnects: number;
  reconnectMs: HistogramSnapshot;
  reconnectsPending: number;
  /** Seq-carrying deliveries (dashboard rows, task-room events); the first of each seq is timed. */
  deliveries: number;
  /** Every server → client event frame, including counts and presence. */
  frames: number;
  lost: number;
  /** Within one connection; across a reconnect a row seen before is `repeatedAcrossReconnect` (SeqLedger). */
  duplicated: number;
  outOfOrder: number;
  repeatedAcrossReconnect: number;
  /** A few of the lost pairs, to tell a harness fault from a product one. */
  lostSamples: LostSample[];
  /** `sync:required` received by the measured sockets, by reason; each one re-joins, and these re-joins failed. */
  syncRequired: Record<string, number>;
  rejoinErrors: number;
  unexpectedCloses: number;
  connected: number;
  pollErrors: number;
  polls: number;
  slow: SlowReport;
}

/** One socket × stream whose final seq never arrived: where its stream stood, and what its socket went through. */
export interface LostSample {
  stream: string;
  finalSeq: number;
  /** The highest snapshot seq, live seq on this connection, and live seq on earlier connections. */
  base: number;
  max: number;
  maxBefore: number;
  socket: { connected: boolean; reconnections: number; rejoins: number } | 'poll';
}

/** The slow readers of a run (slow-clients), apart from the others. */
export interface SlowReport {
  sockets: number;
  /** `sync:required {reason: 'fell_behind'}` received by slow sockets. */
  fellBehind: number;
  /** The same received by the other sockets (each one a socket the node found behind). */
  othersFellBehind: number;
  deliveries: number;
  /** Slow sockets closed under them (a paused one misses the server's heartbeat in about 45 s). */
  closes: number;
}

export type ChildMessage = OpenedReport | DeliveryReport | { type: 'polled' } | { type: 'error'; message: string };
