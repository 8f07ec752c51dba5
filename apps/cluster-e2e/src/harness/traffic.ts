import { taskBranch } from '@taskflow/events';
import { createBranchEvent, pullRequestEvent, sendWebhook } from '@taskflow/github-sim';
import { login } from '@taskflow/testing';
import { DEMO_PASSWORD } from './cluster';
import type { StackAccess } from './stack-access';

/** One answer: the HTTP status, or 0 when none came (refused, reset, or no answer within GitHub's 10 s). */
type Answer = number;
const accepted = (a: Answer) => a >= 200 && a < 300;

interface Delivery {
  id: string;
  event: 'create' | 'pull_request';
  payload: object;
  taskId: string;
  answers: Answer[];
}

/**
 * GitHub's side of the conversation: signed deliveries (libs/github-sim), each
 * remembered with every answer it got. GitHub never retries by itself; an
 * operator presses Redeliver, which resends the same X-GitHub-Delivery id.
 */
export class DeliveryLedger {
  readonly deliveries: Delivery[] = [];
  private prNumber = 100;

  constructor(private readonly cluster: StackAccess) {}

  /** A delivery that moves a dispatched task: its branch created (→ coding) or, for odd `n`, its PR opened (→ pr_open). */
  async moveTask(taskId: string, n: number): Promise<Answer> {
    const branch = taskBranch(taskId);
    const delivery: Delivery =
      n % 2 === 0
        ? { id: crypto.randomUUID(), event: 'create', payload: createBranchEvent({ repo: 'acme/payments', branch }), taskId, answers: [] }
        : {
            id: crypto.randomUUID(),
            event: 'pull_request',
            payload: pullRequestEvent({ repo: 'acme/payments', branch, prNumber: (this.prNumber += 1), action: 'opened' }),
            taskId,
            answers: [],
          };
    this.deliveries.push(delivery);
    return this.send(delivery);
  }

  /**
   * The rest of a dispatched task's life, as GitHub sends it: branch created, PR opened, PR merged, each once the
   * previous one took effect. (Sent back to back, two workers may apply them out of order: a PR opened first skips
   * `coding`, and the late branch creation is then ignored, as the pipeline allows, but never applied.)
   */
  async finishTask(taskId: string, timeoutMs = 60_000): Promise<Answer[]> {
    const branch = taskBranch(taskId);
    const prNumber = (this.prNumber += 1);
    const steps: Array<Pick<Delivery, 'event' | 'payload'> & { then: string }> = [
      { event: 'create', payload: createBranchEvent({ repo: 'acme/payments', branch }), then: 'coding' },
      { event: 'pull_request', payload: pullRequestEvent({ repo: 'acme/payments', branch, prNumber, action: 'opened' }), then: 'pr_open' },
      {
        event: 'pull_request',
        payload: pullRequestEvent({ repo: 'acme/payments', branch, prNumber, action: 'closed', merged: true }),
        then: 'merged',
      },
    ];
    const answers: Answer[] = [];
    for (const { then, ...step } of steps) {
      const delivery: Delivery = { id: crypto.randomUUID(), ...step, taskId, answers: [] };
      this.deliveries.push(delivery);
      const answer = await this.send(delivery);
      answers.push(answer);
      if (!accepted(answer)) break;
      const off = await untilStatus(this.cluster, [taskId], [then], timeoutMs);
      if (off.length > 0) throw new Error(`after the ${step.event} delivery, task ${off[0]} (expected ${then})`);
    }
    return answers;
  }

  private async send(d: Delivery): Promise<Answer> {
    const answer = await sendWebhook(`${this.cluster.url}/api/webhooks/github`, d.event, d.payload, {
      secret: this.cluster.webhookSecret,
      deliveryId: d.id,
      timeoutMs: 10_000,
    }).then(
      (r) => r.status,
      () => 0,
    );
    d.answers.push(answer);
    return answer;
  }

  /** Deliveries not (yet) answered 2xx. */
  get unaccepted(): Delivery[] {
    return this.deliveries.filter((d) => !d.answers.some(accepted));
  }

  /** The first answer was not 2xx: GitHub shows them as failed. */
  get failedFirst(): Delivery[] {
    return this.deliveries.filter((d) => !accepted(d.answers[0] ?? 0));
  }

  /** Presses Redeliver on every delivery without a 2xx, every second, until each has one; answers how many were redelivered. */
  async redeliverUntilAccepted(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const redelivered = new Set<string>();
    while (this.unaccepted.length > 0) {
      if (Date.now() > deadline)
        throw new Error(
          `${this.unaccepted.length} deliveries still not accepted after ${timeoutMs} ms: ${this.unaccepted.map((d) => `${d.id} [${d.answers.join(',')}]`).join('; ')}`,
        );
      for (const d of this.unaccepted) {
        redelivered.add(d.id);
        await this.send(d);
      }
      if (this.unaccepted.length) await new Promise((r) => setTimeout(r, 1000));
    }
    return redelivered.size;
  }

  /**
   * Every delivery answered 2xx was applied exactly once: its task has exactly
   * one event carrying its delivery id. Answers the deliveries that were not.
   */
  async notApplied(): Promise<string[]> {
    const ids = this.deliveries.filter((d) => d.answers.some(accepted)).map((d) => d.id);
    const { rows } = await this.cluster.db().query<{ id: string; n: string }>(
      `SELECT payload->'detail'->>'deliveryId' AS id, count(*) AS n FROM task_events
        WHERE payload->'detail'->>'deliveryId' = ANY($1::text[]) GROUP BY 1`,
      [ids],
    );
    const applied = new Map(rows.map((r) => [r.id, Number(r.n)]));
    return this.deliveries
      .filter((d) => d.answers.some(accepted) && applied.get(d.id) !== 1)
      .map((d) => `${d.event} ${d.id} for task ${d.taskId} (answers ${d.answers.join(',')}): applied ${applied.get(d.id) ?? 0} times`);
  }
}

/** A user creating tasks through HAProxy, with a bounded wait for each answer. */
export class TaskAuthor {
  /** Every creation attempt: its answer and, when accepted (202), the new task's id. */
  readonly attempts: Array<{ answer: Answer; taskId?: string }> = [];

  private constructor(
    private readonly cluster: StackAccess,
    private readonly token: string,
  ) {}

  static async as(cluster: StackAccess, user = 'alice'): Promise<TaskAuthor> {
    return new TaskAuthor(cluster, await login(cluster.url, user, DEMO_PASSWORD));
  }

  /**
   * A task clear enough for the analyzer to dispatch without questions. The wait is long: an answer that does not
   * come in time is counted as 0, and a creation cannot be sent again blindly (it takes no Idempotency-Key), while a
   * busy CI machine answered one after more than 10 s during a worker-kill run.
   */
  async create(n: number, timeoutMs = 30_000): Promise<string | undefined> {
    const body = {
      title: `Add CSV export ${n}`,
      description: `Export the invoice list in src/invoices/list-${n}.ts as CSV, with the same columns as the table on screen.`,
    };
    const res = await fetch(`${this.cluster.url}/api/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    }).catch(() => undefined);
    const json = res ? ((await res.json().catch(() => undefined)) as { task?: { id: string } } | undefined) : undefined;
    const taskId = res?.status === 202 ? json?.task?.id : undefined;
    this.attempts.push({ answer: res?.status ?? 0, taskId });
    return taskId;
  }

  get accepted(): string[] {
    return this.attempts.flatMap((a) => (a.taskId ? [a.taskId] : []));
  }

  async get(path: string, timeoutMs = 5000): Promise<Response | undefined> {
    return fetch(`${this.cluster.url}${path}`, {
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(timeoutMs),
    }).catch(() => undefined);
  }
}

/** Waits until every task is in one of `statuses` in PostgreSQL; answers the ones that are not. */
export async function untilStatus(
  cluster: StackAccess,
  ids: readonly string[],
  statuses: readonly string[],
  timeoutMs: number,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let off: string[] = ids.map((id) => `${id}: unknown`);
  while (Date.now() < deadline) {
    const res = await cluster
      .db()
      .query<{ id: string; status: string }>('SELECT id, status FROM tasks WHERE id = ANY($1::uuid[])', [ids])
      .catch(() => undefined);
    if (res) {
      const found = new Map(res.rows.map((r) => [r.id, r.status]));
      off = ids.filter((id) => !statuses.includes(found.get(id) ?? '')).map((id) => `${id}: ${found.get(id) ?? 'missing'}`);
      if (off.length === 0) return [];
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return off;
}
