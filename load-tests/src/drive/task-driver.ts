import { TaskflowClient, type DashboardFeed } from '@taskflow/client';
import { taskBranch, type DashboardTask, type TaskStatus } from '@taskflow/events';
import { createBranchEvent, pullRequestEvent, sendWebhook } from '@taskflow/github-sim';
import { nowMs } from '../client/light-socket';
import type { Finals } from '../client/messages';

export interface OrgUsers {
  orgId: string;
  tokens: string[];
}

interface Driven {
  id: string;
  orgId: string;
  /** The task's repository (its org's own): the deliveries that move it come from there. */
  repo: string;
  prNumber: number;
  /** Highest status the watcher saw, so each webhook is sent once. */
  stage: TaskStatus;
  holdAtDispatched: boolean;
}

// Clear enough for the built-in analyzer to dispatch without clarification questions.
const DESCRIPTION = 'Fix the crash in src/payments/refund.ts when a refund amount is zero, and add a regression test for it.';

/** After each status the watcher sees, the signed GitHub delivery that moves the task on. */
const NEXT_WEBHOOK: Partial<Record<TaskStatus, (t: Driven) => { event: string; payload: object }>> = {
  dispatched: (t) => ({ event: 'create', payload: createBranchEvent({ repo: t.repo, branch: taskBranch(t.id) }) }),
  coding: (t) => ({
    event: 'pull_request',
    payload: pullRequestEvent({ repo: t.repo, branch: taskBranch(t.id), prNumber: t.prNumber, action: 'opened', title: `Bench ${t.id}` }),
  }),
  pr_open: (t) => ({
    event: 'pull_request',
    payload: pullRequestEvent({
      repo: t.repo,
      branch: taskBranch(t.id),
      prNumber: t.prNumber,
      action: 'closed',
      merged: true,
      title: `Bench ${t.id}`,
    }),
  }),
};
const TERMINAL = new Set<TaskStatus>(['merged', 'failed', 'cancelled', 'needs_clarification']);

/**
 * Moves tasks through the pipeline over the public paths only: POST /api/tasks (REST),
 * then, as its own dashboard feeds see each status, the signed webhooks a GitHub
 * coding agent would cause: branch created → coding, PR opened → pr_open, PR merged → merged.
 * The watchers are @taskflow/client dashboard feeds, as the web app's: a watcher whose
 * connection drops re-joins and takes the missed statuses from the snapshot, so no task stalls.
 * (The measured sockets stay raw LightSockets: they count losses, which a client library repairs.)
 */
export class TaskDriver {
  private readonly tasks = new Map<string, Driven>();
  private readonly watchers: Array<{ client: TaskflowClient; feed: DashboardFeed }> = [];
  private nextUser = 0;
  private prNumber = 1000;
  createErrors = 0;
  webhookErrors = 0;
  readonly errorSamples: string[] = [];
  /** Distinct statuses seen committed (dashboard rows), for transitions per second. */
  transitions = 0;
  /** Per task: when its PR-opened webhook was sent (`nowMs`, the measured sockets' clock), for webhook → screen. */
  readonly prOpenedSentAt = new Map<string, number>();

  constructor(private readonly opts: { url: string; webhookSecret: string; orgs: OrgUsers[] }) {}

  async start(): Promise<void> {
    for (const org of this.opts.orgs) {
      const client = new TaskflowClient({ url: this.opts.url, token: org.tokens[0], requestTimeoutMs: 15_000 });
      const feed = client.dashboard();
      this.watchers.push({ client, feed });
      let deadline: ReturnType<typeof setTimeout> | undefined;
      const ack = await Promise.race([
        feed.join(),
        new Promise<undefined>((resolve) => (deadline = setTimeout(() => resolve(undefined), 30_000))),
      ]).finally(() => clearTimeout(deadline));
      if (!ack?.ok) throw new Error(`the driver could not join a dashboard${ack ? `: ${ack.error.code}` : ''}`);
      let seen = feed.getSnapshot().rows;
      feed.subscribe(() => {
        const { rows } = feed.getSnapshot();
        // A row object is replaced only when a newer seq of it arrives (live or in a re-join's snapshot).
        for (const [id, row] of rows) if (seen.get(id) !== row) this.onRow(row);
        seen = rows;
      });
    }
  }

  private note(message: string): void {
    if (this.errorSamples.length < 5) this.errorSamples.push(message);
  }

  private onRow(row: DashboardTask): void {
    const t = this.tasks.get(row.taskId);
    if (!t || row.status === t.stage) return;
    t.stage = row.status;
    this.transitions += 1;
    if (t.holdAtDispatched && row.status === 'dispatched') return;
    this.advance(t);
  }

  private advance(t: Driven): void {
    const next = NEXT_WEBHOOK[t.stage]?.(t);
    if (!next) return;
    if (t.stage === 'coding' && !this.prOpenedSentAt.has(t.id)) this.prOpenedSentAt.set(t.id, nowMs());
    void sendWebhook(`${this.opts.url}/api/webhooks/github`, next.event, next.payload, {
      secret: this.opts.webhookSecret,
      timeoutMs: 30_000,
    }).then(
      (res) => {
        if (res.status >= 300) {
          this.webhookErrors += 1;
          this.note(`webhook ${next.event}: HTTP ${res.status} ${res.body.slice(0, 120)}`);
        }
      },
      (err: Error) => {
        this.webhookErrors += 1;
        this.note(`webhook ${next.event}: ${err.message}`);
      },
    );
  }

  /** Creates one task in `org` as the next of its users; resolves with its id (undefined on failure). */
  async create(org: OrgUsers, holdAtDispatched = false): Promise<string | undefined> {
    const token = org.tokens[this.nextUser++ % org.tokens.length]!;
    try {
      const res = await fetch(`${this.opts.url}/api/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: `Bench task ${this.tasks.size + 1}`, description: DESCRIPTION }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await res.json()) as { id?: string; task?: { id?: string; repo?: string } };
      const id = body.id ?? body.task?.id;
      const repo = body.task?.repo;
      if (res.status !== 202 || !id || !repo) throw new Error(`POST /api/tasks: HTTP ${res.status}`);
      const existing = this.tasks.get(id);
      const t: Driven = { id, orgId: org.orgId, repo, prNumber: this.prNumber++, stage: existing?.stage ?? 'received', holdAtDispatched };
      this.tasks.set(id, t);
      // The watcher may have seen rows of this task before the POST answered.
      if (t.stage !== 'received' && !(holdAtDispatched && t.stage === 'dispatched')) this.advance(t);
      return id;
    } catch (err) {
      this.createErrors += 1;
      this.note((err as Error).message);
      return undefined;
    }
  }

  /** Creates `count` tasks spread evenly over `durationMs`, round-robin over the orgs. */
  async createAtRate(count: number, durationMs: number, opts: { holdAtDispatched?: boolean; orgs?: OrgUsers[] } = {}): Promise<string[]> {
    const orgs = opts.orgs ?? this.opts.orgs;
    const started = Date.now();
    const pending: Array<Promise<string | undefined>> = [];
    for (let i = 0; i < count; i++) {
      const wait = started + (i * durationMs) / Math.max(1, count) - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(this.create(orgs[i % orgs.length]!, opts.holdAtDispatched));
    }
    return (await Promise.all(pending)).filter((id): id is string => Boolean(id));
  }

  /** Releases held tasks (at `dispatched`) at `perSec`, so their later events reach joined task rooms. */
  async release(ids: string[], perSec: number): Promise<void> {
    const started = Date.now();
    for (let i = 0; i < ids.length; i++) {
      const wait = started + (i * 1000) / perSec - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t = this.tasks.get(ids[i]!);
      if (!t) continue;
      t.holdAtDispatched = false;
      if (t.stage === 'dispatched') this.advance(t);
    }
  }

  orgOf(id: string): string | undefined {
    return this.tasks.get(id)?.orgId;
  }

  stageOf(id: string): TaskStatus | undefined {
    return this.tasks.get(id)?.stage;
  }

  /** Waits until every driven task reached `status` (or a terminal one), at most `timeoutMs`. */
  async waitAll(status: TaskStatus, timeoutMs: number, ids: string[] = [...this.tasks.keys()]): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const done = () =>
      ids.filter((id) => {
        const s = this.tasks.get(id)?.stage;
        return s === status || (s !== undefined && TERMINAL.has(s));
      }).length;
    while (done() < ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return ids.length - done();
  }

  /** Tasks that ended elsewhere than `merged` (or never got there). */
  notMerged(): number {
    return [...this.tasks.values()].filter((t) => t.stage !== 'merged').length;
  }

  get created(): number {
    return this.tasks.size;
  }

  /** The final seq of every driven task as the REST API reports it, by org (dashboards) or by task (task rooms). */
  async finals(byTask = false): Promise<Finals> {
    const finals: Finals = {};
    for (const org of this.opts.orgs) {
      let cursor: string | null = null;
      for (let page = 0; page < 1000; page++) {
        const qs: string = `scope=all&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await fetch(`${this.opts.url}/api/tasks?${qs}`, {
          headers: { authorization: `Bearer ${org.tokens[0]}` },
          signal: AbortSignal.timeout(30_000),
        });
        if (!res.ok) throw new Error(`GET /api/tasks: HTTP ${res.status}`);
        const body = (await res.json()) as { tasks: Array<{ id: string; seq: number }>; nextCursor: string | null };
        for (const row of body.tasks) {
          if (!this.tasks.has(row.id)) continue;
          const scope = byTask ? row.id : org.orgId;
          (finals[scope] ??= {})[row.id] = row.seq;
        }
        cursor = body.nextCursor;
        if (!cursor) break;
      }
    }
    return finals;
  }

  stop(): void {
    for (const { client, feed } of this.watchers.splice(0)) {
      feed.close();
      client.close();
    }
  }
}
