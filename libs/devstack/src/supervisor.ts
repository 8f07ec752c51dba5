import { isReadyMessage } from '@taskflow/platform';
import { stopChild, type Child } from './child';
import { HAPROXY_BACKEND, HAPROXY_SLOTS, slotName, type Haproxy } from './haproxy';
import { freePort } from './net';
import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from './restart-policy';

export type ProcessKind = 'node' | 'worker';
export type ProcessState = 'starting' | 'ready' | 'draining' | 'stopping' | 'backoff' | 'crash-loop';

/** One supervised process slot: a server node (`server-N`, HAProxy slot N) or a worker (`worker-N`). */
export interface Managed {
  kind: ProcessKind;
  name: string;
  slot: number;
  port?: number;
  /** A node's metrics listener (loopback): /metrics and GET /health, the node's id and load, which the public port does not tell. */
  metricsPort?: number;
  child?: Child;
  state: ProcessState;
  startedAt: number;
  /** Unexpected exits so far (each one restarted or, in a crash loop, given up on). */
  exits: number;
  policy: RestartPolicy;
  timer?: NodeJS.Timeout;
}

export interface SupervisorEvent {
  at: number;
  name: string;
  kind: 'exit' | 'restart' | 'crash-loop' | 'started' | 'stopped';
  detail: string;
}

export interface SupervisorOptions {
  spawn(name: string, kind: ProcessKind, extraEnv: NodeJS.ProcessEnv): Child;
  log(line: string): void;
  /** In front of the nodes (cluster); without it there is one node on `fixedPort`. */
  haproxy?: Haproxy;
  fixedPort?: number;
  /** The stack's URL (through HAProxy when there is one). */
  url: string;
  policy?: RestartPolicyOptions;
  /** How long a stopping process may take (drain, in-flight jobs) before it is killed. */
  stopGraceMs?: number;
  readyTimeoutMs?: number;
  /**
   * Workers say over IPC when they take jobs (apps/worker does; not through `tsx watch`, which keeps its
   * child's messages): until then they are `starting`. Otherwise a worker counts as ready once spawned.
   */
  workersSayReady?: boolean;
  /** Called whenever a process starts or goes away (the stack rewrites stack.json). */
  onChange?(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (c: Child | undefined): c is Child => Boolean(c && c.process.exitCode === null && c.process.signalCode === null);

/**
 * Keeps the stack's app processes running: a process that exits when nobody
 * asked it to is restarted with backoff, counted and logged; a crash loop is
 * given up on (said so once) while the others keep serving. Nodes join and
 * leave HAProxy through its runtime API, one slot each, so the other nodes'
 * connections are never touched. Operator actions (scale, rolling restart)
 * run one at a time.
 */
export class Supervisor {
  readonly processes: Managed[] = [];
  readonly events: SupervisorEvent[] = [];
  private closing = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: SupervisorOptions) {}

  get haproxy(): Haproxy | undefined {
    return this.opts.haproxy;
  }

  get nodes(): Managed[] {
    return this.processes.filter((p) => p.kind === 'node').sort((a, b) => a.slot - b.slot);
  }

  get workers(): Managed[] {
    return this.processes.filter((p) => p.kind === 'worker').sort((a, b) => a.slot - b.slot);
  }

  /** Runs operator actions one after the other. */
  exclusive<T>(action: () => Promise<T>): Promise<T> {
    const run = this.queue.then(action, action);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Starts a node in the lowest free slot and resolves once HAProxy routes to it. */
  async addNode(): Promise<Managed> {
    if (!this.opts.haproxy && this.nodes.length > 0)
      throw new Error('without HAProxy (npm start) the stack runs exactly one node; use npm run cluster');
    const slot = this.freeSlot('node');
    if (slot > HAPROXY_SLOTS) throw new Error(`at most ${HAPROXY_SLOTS} nodes (HAProxy slots)`);
    const m = this.register('node', slot);
    await this.launch(m);
    await this.untilReady(m);
    return m;
  }

  addWorker(): Managed {
    const m = this.register('worker', this.freeSlot('worker'));
    void this.launch(m).catch((err: Error) => this.opts.log(`${m.name} could not be started: ${err.message}`));
    return m;
  }

  /** Drains a node out of HAProxy, stops it and forgets its slot. */
  async removeNode(m: Managed): Promise<void> {
    await this.stopProcess(m);
    this.processes.splice(this.processes.indexOf(m), 1);
    this.opts.onChange?.();
  }

  /** Stops a worker (BullMQ's close lets its running jobs finish) and forgets it. */
  async removeWorker(m: Managed): Promise<void> {
    await this.stopProcess(m);
    this.processes.splice(this.processes.indexOf(m), 1);
    this.opts.onChange?.();
  }

  /** Starts or drains-and-stops processes until the counts match; given-up ones go first. */
  async scale(target: { nodes?: number; workers?: number }): Promise<void> {
    if (target.nodes !== undefined) {
      while (this.nodes.length < target.nodes) await this.addNode();
      while (this.nodes.length > target.nodes) await this.removeNode(this.pickVictim(this.nodes));
    }
    if (target.workers !== undefined) {
      while (this.workers.length < target.workers) this.addWorker();
      while (this.workers.length > target.workers) await this.removeWorker(this.pickVictim(this.workers));
    }
  }

  /**
   * Rolling restart: each node in turn leaves HAProxy, drains, stops, and is
   * replaced in its slot by a fresh one that must be routed to before the next
   * node goes; then each worker in turn finishes its running jobs and is replaced.
   */
  async restart(progress: (line: string) => void = () => undefined): Promise<void> {
    for (const m of this.nodes) {
      const started = Date.now();
      // Alone behind HAProxy: start the replacement first so that something always serves.
      const alone = this.opts.haproxy && this.nodes.filter((n) => n.state === 'ready').length < 2;
      if (alone) {
        const fresh = await this.addNode();
        await this.removeNode(m);
        progress(`${m.name} replaced by ${fresh.name} (pid ${fresh.child?.process.pid}, port ${fresh.port}) in ${Date.now() - started} ms`);
        continue;
      }
      await this.stopProcess(m);
      m.policy.reset();
      await this.launch(m);
      await this.untilReady(m);
      progress(`${m.name} restarted (pid ${m.child?.process.pid}, port ${m.port}) in ${Date.now() - started} ms`);
    }
    for (const m of this.workers) {
      const started = Date.now();
      await this.stopProcess(m);
      m.policy.reset();
      await this.launch(m);
      await this.untilReady(m);
      progress(`${m.name} restarted (pid ${m.child?.process.pid}) and ready in ${Date.now() - started} ms`);
    }
  }

  /** Stops everything (Ctrl-C): no more restarts. */
  async stopAll(): Promise<void> {
    this.closing = true;
    for (const m of this.processes) clearTimeout(m.timer);
    await Promise.all(this.processes.map((m) => this.stopProcess(m)));
  }

  private freeSlot(kind: ProcessKind): number {
    const used = new Set(this.processes.filter((p) => p.kind === kind).map((p) => p.slot));
    let slot = 1;
    while (used.has(slot)) slot += 1;
    return slot;
  }

  private register(kind: ProcessKind, slot: number): Managed {
    const m: Managed = {
      kind,
      slot,
      name: kind === 'node' ? slotName(slot) : `worker-${slot}`,
      state: 'starting',
      startedAt: Date.now(),
      exits: 0,
      policy: new RestartPolicy(this.opts.policy ?? DEFAULT_RESTART_POLICY),
    };
    this.processes.push(m);
    return m;
  }

  private pickVictim(list: Managed[]): Managed {
    return list.find((m) => m.state === 'crash-loop') ?? list[list.length - 1]!;
  }

  private async launch(m: Managed): Promise<void> {
    if (this.closing) return;
    m.port = m.kind === 'node' ? (this.opts.fixedPort ?? (await freePort())) : undefined;
    m.metricsPort = m.kind === 'node' ? await freePort() : undefined;
    m.state = 'starting';
    m.startedAt = Date.now();
    const child = this.opts.spawn(
      m.name,
      m.kind,
      m.kind === 'node' ? { PORT: String(m.port), METRICS_PORT: String(m.metricsPort), NODE_ID: m.name } : { NODE_ID: m.name },
    );
    m.child = child;
    void child.exited.then((code) => this.onExit(m, child, code));
    this.record(m, 'started', `pid ${child.process.pid}${m.port ? `, port ${m.port}` : ''}`);
    this.opts.onChange?.();
    if (m.kind === 'worker') {
      if (this.opts.workersSayReady && child.process.connected)
        child.process.on('message', (message) => {
          if (!isReadyMessage(message) || m.child !== child || m.state !== 'starting') return;
          m.state = 'ready';
          this.opts.onChange?.();
        });
      else m.state = 'ready';
    } else
      void this.bringUp(m, child).catch((err: Error) => {
        // HAProxy refused or did not answer: this node cannot take traffic; kill it and let the restart policy decide.
        this.opts.log(`${m.name} (pid ${child.process.pid}) could not join HAProxy: ${err.message}; killing it`);
        child.process.kill('SIGKILL');
      });
  }

  /** Once the node answers ready on its own port, points its HAProxy slot at it and enables it. */
  private async bringUp(m: Managed, child: Child): Promise<void> {
    const deadline = Date.now() + (this.opts.readyTimeoutMs ?? 120_000);
    while (alive(child) && m.child === child) {
      const res = await fetch(`http://127.0.0.1:${m.port}/api/ready`).catch(() => undefined);
      if (res?.ok) break;
      if (Date.now() > deadline) {
        this.opts.log(`${m.name} (pid ${child.process.pid}) was not ready after ${this.opts.readyTimeoutMs ?? 120_000} ms; killing it`);
        child.process.kill('SIGKILL');
        return;
      }
      await sleep(100);
    }
    if (!alive(child) || m.child !== child || m.state !== 'starting') return;
    const haproxy = this.opts.haproxy;
    if (haproxy) {
      await haproxy.command(`set server ${HAPROXY_BACKEND}/${m.name} addr 127.0.0.1 port ${m.port}`);
      await haproxy.command(`set server ${HAPROXY_BACKEND}/${m.name} state ready`);
      // A request carrying the slot's sticky cookie is answered by that node, with no new cookie, once HAProxy routes to it.
      while (alive(child) && m.child === child) {
        const res = await fetch(`${this.opts.url}/api/ready`, { headers: { cookie: `tfnode=${m.name}` } }).catch(() => undefined);
        if (res?.ok && !res.headers.get('set-cookie')) break;
        await sleep(100);
      }
    }
    if (alive(child) && m.child === child && m.state === 'starting') {
      m.state = 'ready';
      this.opts.onChange?.();
    }
  }

  /** Resolves once the node is routed to (a worker: once it said it takes jobs); rejects when it gives up (crash loop) or times out. */
  async untilReady(m: Managed, timeoutMs = this.opts.readyTimeoutMs ?? 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (m.state !== 'ready') {
      if (this.closing) throw new Error('the stack is stopping');
      if (m.state === 'crash-loop') throw new Error(`${m.name} keeps crashing (${m.exits} exits): given up`);
      if (!this.processes.includes(m)) throw new Error(`${m.name} was removed`);
      if (Date.now() > deadline) throw new Error(`${m.name} was not ready within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Takes the process out of rotation and stops it gracefully; its exit is then expected. */
  private async stopProcess(m: Managed): Promise<void> {
    clearTimeout(m.timer);
    const child = m.child;
    m.state = m.kind === 'node' ? 'draining' : 'stopping';
    const haproxy = this.opts.haproxy;
    // Drain: HAProxy sends no new client there; the node itself fails readiness, waits, then closes its transports.
    if (m.kind === 'node' && haproxy) await haproxy.command(`set server ${HAPROXY_BACKEND}/${m.name} state drain`).catch(() => undefined);
    if (alive(child)) await stopChild(child, 'SIGTERM', this.opts.stopGraceMs ?? 30_000);
    if (m.kind === 'node' && haproxy) await haproxy.command(`set server ${HAPROXY_BACKEND}/${m.name} state maint`).catch(() => undefined);
    m.state = 'stopping';
    if (child) this.record(m, 'stopped', `pid ${child.process.pid}`);
  }

  private onExit(m: Managed, child: Child, code: number | null): void {
    this.opts.onChange?.();
    if (this.closing || m.child !== child || m.state === 'draining' || m.state === 'stopping' || !this.processes.includes(m)) return;
    m.exits += 1;
    if (m.kind === 'node') void this.opts.haproxy?.command(`set server ${HAPROXY_BACKEND}/${m.name} state maint`).catch(() => undefined);
    const decision = m.policy.onExit(Date.now());
    this.record(m, 'exit', `pid ${child.process.pid} exited unexpectedly (code ${code}); exit #${m.exits}`);
    if (decision.action === 'give-up') {
      m.state = 'crash-loop';
      this.record(
        m,
        'crash-loop',
        `${decision.recentExits} exits within ${Math.round((this.opts.policy ?? DEFAULT_RESTART_POLICY).windowMs / 1000)} s: not restarting it (the rest keeps serving; \`npm run cluster:ctl -- restart\` tries again)`,
      );
      return;
    }
    m.state = 'backoff';
    this.record(m, 'restart', `restarting in ${decision.delayMs} ms`);
    m.timer = setTimeout(
      () => void this.launch(m).catch((err: Error) => this.opts.log(`${m.name} could not be restarted: ${err.message}`)),
      decision.delayMs,
    );
  }

  private record(m: Managed, kind: SupervisorEvent['kind'], detail: string): void {
    this.events.push({ at: Date.now(), name: m.name, kind, detail });
    if (kind !== 'started' && kind !== 'stopped') this.opts.log(`${m.name} ${detail}`);
  }
}
