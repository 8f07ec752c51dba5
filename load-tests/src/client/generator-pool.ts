import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Histogram, mergeSnapshots } from '../stats/histogram';
import { WindowedLatency } from '../stats/windowed-latency';
import type { ChildMessage, DeliveryReport, Finals, OpenedReport, ParentMessage, PollPlan, SocketPlan } from './messages';

const CHILD_ENTRY = path.join(__dirname, 'generator-child.ts');

export interface OpenResult {
  connected: number;
  errors: number;
  errorSamples: string[];
  connectJoin: Histogram;
  /** The join event alone (sent → acked), per socket. */
  join: Histogram;
  /** Wall time from the first connect to the last join ack. */
  elapsedMs: number;
}

export type MergedReport = Omit<DeliveryReport, 'type' | 'latency' | 'windows' | 'reconnectMs'> & {
  latency: Histogram;
  windows: WindowedLatency;
  reconnectMs: Histogram;
};

/**
 * The load generator's processes: sockets are dealt round-robin over forked
 * children so no single event loop is the bottleneck (and its CPU can be sampled
 * per process). Every wait is bounded; `close` ends the children.
 */
export class GeneratorPool {
  private readonly children: ChildProcess[];

  constructor(size: number) {
    this.children = Array.from({ length: size }, () =>
      fork(CHILD_ENTRY, [], {
        execArgv: ['--conditions=taskflow-source', '--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid!).filter(Boolean);
  }

  private ask<T extends ChildMessage['type']>(
    child: ChildProcess,
    message: ParentMessage,
    answer: T,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`generator child ${child.pid} did not answer ${message.type} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onMessage = (m: ChildMessage) => {
        if (m.type === answer) done(undefined, m as Extract<ChildMessage, { type: T }>);
        else if (m.type === 'error') done(new Error(`generator child: ${m.message}`));
      };
      const onExit = () => done(new Error(`generator child ${child.pid} exited`));
      const done = (err?: Error, value?: Extract<ChildMessage, { type: T }>) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(value!);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(message);
    });
  }

  /** Opens and joins every planned socket; `connectsPerSec` (0 = as fast as accepted) is for the whole pool. */
  async open(
    url: string,
    plans: SocketPlan[],
    opts: { connectsPerSec: number; timeoutMs: number; deadlineMs: number },
  ): Promise<OpenResult> {
    const shares = this.deal(plans);
    const started = Date.now();
    const answers = await Promise.all(
      this.children.map((c, i) =>
        this.ask(
          c,
          { type: 'open', url, sockets: shares[i]!, connectsPerSec: opts.connectsPerSec / this.children.length, timeoutMs: opts.timeoutMs },
          'opened',
          opts.deadlineMs,
        ),
      ),
    );
    const connectJoin = mergeSnapshots(answers.map((a: OpenedReport) => a.connectJoin));
    const join = mergeSnapshots(answers.map((a: OpenedReport) => a.join));
    return {
      connected: answers.reduce((n, a) => n + a.connected, 0),
      errors: answers.reduce((n, a) => n + a.errors, 0),
      errorSamples: answers.flatMap((a) => a.errorSamples).slice(0, 5),
      connectJoin,
      join,
      elapsedMs: Date.now() - started,
    };
  }

  /** Runs polling dashboards for `durationMs` and resolves when every child is done. */
  async poll(url: string, dashboards: PollPlan[], everyMs: number, durationMs: number): Promise<void> {
    const shares = this.deal(dashboards);
    await Promise.all(
      this.children.map((c, i) =>
        this.ask(c, { type: 'poll', url, dashboards: shares[i]!, everyMs, durationMs }, 'polled', durationMs + everyMs + 30_000),
      ),
    );
  }

  async report(finals: Finals): Promise<MergedReport> {
    const answers = await Promise.all(this.children.map((c) => this.ask(c, { type: 'report', finals }, 'report', 60_000)));
    const latency = new Histogram();
    const merged: MergedReport = {
      latency,
      windows: new WindowedLatency(),
      moves: 0,
      moveErrors: 0,
      reconnects: 0,
      reconnectMs: new Histogram(),
      reconnectsPending: 0,
      deliveries: 0,
      frames: 0,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      repeatedAcrossReconnect: 0,
      lostSamples: [],
      syncRequired: {},
      rejoinErrors: 0,
      unexpectedCloses: 0,
      connected: 0,
      pollErrors: 0,
      polls: 0,
      slow: { sockets: 0, fellBehind: 0, othersFellBehind: 0, deliveries: 0, closes: 0 },
    };
    for (const a of answers) {
      latency.merge(a.latency);
      merged.windows.merge(a.windows);
      merged.reconnectMs.merge(a.reconnectMs);
      for (const k of ['sockets', 'fellBehind', 'othersFellBehind', 'deliveries', 'closes'] as const) merged.slow[k] += a.slow?.[k] ?? 0;
      merged.lostSamples.push(...a.lostSamples.slice(0, Math.max(0, 20 - merged.lostSamples.length)));
      for (const [reason, n] of Object.entries(a.syncRequired)) merged.syncRequired[reason] = (merged.syncRequired[reason] ?? 0) + n;
      for (const k of [
        'deliveries',
        'frames',
        'lost',
        'duplicated',
        'outOfOrder',
        'repeatedAcrossReconnect',
        'unexpectedCloses',
        'connected',
        'pollErrors',
        'polls',
        'moves',
        'moveErrors',
        'reconnects',
        'reconnectsPending',
        'rejoinErrors',
      ] as const)
        merged[k] += a[k];
    }
    return merged;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
            c.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (c.connected) c.send({ type: 'close' } satisfies ParentMessage);
            else c.kill('SIGTERM');
          }),
      ),
    );
  }

  private deal<T>(items: T[]): T[][] {
    const shares: T[][] = this.children.map(() => []);
    items.forEach((item, i) => shares[i % shares.length]!.push(item));
    return shares;
  }
}
