import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { LightSocket, nowMs } from '../client/light-socket';
import { Histogram, type Percentiles } from '../stats/histogram';

export interface JoinProbeReport {
  /** Probe cycles started (one fresh socket each). */
  count: number;
  errors: number;
  errorSamples: string[];
  /** Ticks skipped because too many probes were still in flight (the server was that slow). */
  skipped: number;
  ratePerSec: number;
  /** A fresh socket's first `dashboard:join`, sent → ack (a new tab opening while the others are held). */
  join: Percentiles;
  /** `dashboard:leave` then `dashboard:join` again on that socket: the re-join a reconnect or resync makes. */
  rejoin: Percentiles;
  /** The fresh socket's handshake (WebSocket + Socket.IO connect with the token). */
  connect: Percentiles;
  /** The probing process's own event-loop delay over the window: what of a probe's time the measuring side may add. */
  harnessLoopDelay: { p99Ms: number; maxMs: number };
}

type Ack = { ok?: boolean; error?: { code?: string } } | undefined;

/**
 * Steady-state join latency: while the phase's sockets are held, opens one fresh
 * dashboard socket every 1/rate s (users taken in turn across the run's orgs),
 * times its first `dashboard:join` and a leave → re-join, then closes it. The
 * probes are few and paced, so they measure the join under the held load rather
 * than add to it; they are not part of the seq checks.
 */
export class JoinProbe {
  private readonly join = new Histogram();
  private readonly rejoin = new Histogram();
  private readonly connect = new Histogram();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly errorSamples: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private next = 0;
  private count = 0;
  private errors = 0;
  private skipped = 0;

  constructor(private readonly opts: { url: string; tokens: string[]; ratePerSec: number; timeoutMs?: number }) {
    if (!opts.tokens.length) throw new Error('the join probe needs at least one token');
    if (!(opts.ratePerSec > 0)) throw new Error(`the join probe rate must be > 0, got ${opts.ratePerSec}`);
  }

  /** Bounded: at most 2 s worth of probes (at least 4) in flight; past that a tick is skipped and counted. */
  start(): void {
    const maxInFlight = Math.max(4, Math.ceil(this.opts.ratePerSec * 2));
    this.loopDelay.enable();
    this.timer = setInterval(() => {
      if (this.inFlight.size >= maxInFlight) {
        this.skipped += 1;
        return;
      }
      const p = this.cycle(this.opts.tokens[this.next++ % this.opts.tokens.length]!).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }, 1000 / this.opts.ratePerSec);
  }

  async stop(): Promise<JoinProbeReport> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
    this.loopDelay.disable();
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    return {
      count: this.count,
      errors: this.errors,
      errorSamples: this.errorSamples,
      skipped: this.skipped,
      ratePerSec: this.opts.ratePerSec,
      join: this.join.percentiles(),
      rejoin: this.rejoin.percentiles(),
      connect: this.connect.percentiles(),
      harnessLoopDelay: { p99Ms: ms(this.loopDelay.percentile(99)), maxMs: ms(this.loopDelay.max) },
    };
  }

  private async cycle(token: string): Promise<void> {
    this.count += 1;
    const socket = new LightSocket({
      url: this.opts.url,
      auth: { token },
      timeoutMs: this.opts.timeoutMs ?? 15_000,
      onEvent: () => undefined,
    });
    const timed = async (event: 'dashboard:join' | 'dashboard:leave', into: Histogram | undefined) => {
      const t0 = nowMs();
      const ack = (await socket.emitWithAck(event, {})) as Ack;
      if (!ack?.ok) throw new Error(`${event} refused: ${ack?.error?.code ?? 'no ack'}`);
      into?.record(nowMs() - t0);
    };
    try {
      const c0 = nowMs();
      await socket.connect();
      this.connect.record(nowMs() - c0);
      await timed('dashboard:join', this.join);
      await timed('dashboard:leave', undefined);
      await timed('dashboard:join', this.rejoin);
    } catch (err) {
      this.errors += 1;
      if (this.errorSamples.length < 5) this.errorSamples.push((err as Error).message);
    } finally {
      socket.terminate();
    }
  }
}
