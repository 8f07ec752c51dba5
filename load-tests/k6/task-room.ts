import { check, sleep } from 'k6';
import crypto from 'k6/crypto';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { BASE_URL, loadTokens, runSession } from './lib/socketio-session.ts';

/**
 * TASKS tasks are created and dispatched in setup; VUS viewers join one task room each; a driver
 * then moves every task on with signed GitHub webhooks (branch created → coding, PR opened →
 * pr_open). Every status event must arrive once and in seq order.
 *   k6 run -e BASE_URL=http://127.0.0.1:3000 -e WEBHOOK_SECRET=… -e VUS=200 -e TASKS=20 load-tests/k6/task-room.ts
 */
const latency = new Trend('commit_to_receipt_ms', true);
const duplicated = new Counter('seq_duplicated');
const outOfOrder = new Counter('seq_out_of_order');
const errors = new Counter('socketio_errors');
const tasks = Number(__ENV.TASKS || 10);
const REPO = __ENV.REPO || 'acme/payments';

export const options = {
  scenarios: {
    viewers: { executor: 'per-vu-iterations', vus: Number(__ENV.VUS || 50), iterations: 1, maxDuration: '2m', exec: 'viewer' },
    driver: { executor: 'shared-iterations', vus: 1, iterations: 1, startTime: '10s', maxDuration: '1m', exec: 'driver' },
  },
  thresholds: {
    commit_to_receipt_ms: ['p(99)<=200'],
    seq_duplicated: ['count==0'],
    seq_out_of_order: ['count==0'],
    socketio_errors: ['count==0'],
  },
};

interface Setup {
  tokens: string[];
  taskIds: string[];
}

export function setup(): Setup {
  const tokens = loadTokens();
  const taskIds: string[] = [];
  for (let i = 0; i < tasks; i++) {
    const res = http.post(
      `${BASE_URL}/api/tasks`,
      JSON.stringify({
        title: `k6 room ${i}`,
        description: 'Fix the crash in src/payments/refund.ts when a refund amount is zero, and add a regression test for it.',
      }),
      { headers: { authorization: `Bearer ${tokens[0]}`, 'content-type': 'application/json' } },
    );
    taskIds.push((res.json() as { task: { id: string } }).task.id);
  }
  sleep(5); // analysis and dispatch run in the worker
  return { tokens, taskIds };
}

export function viewer(data: Setup): void {
  const taskId = data.taskIds[(__VU - 1) % data.taskIds.length]!;
  const seen: Record<string, Record<number, boolean>> = { status: {}, event: {} };
  const max: Record<string, number> = { status: 0, event: 0 };
  const record = (stream: string, seq: number) => {
    if (seen[stream]![seq]) return duplicated.add(1);
    if (seq < max[stream]!) outOfOrder.add(1);
    seen[stream]![seq] = true;
    max[stream] = Math.max(max[stream]!, seq);
  };
  const status = runSession(data.tokens[0]!, {
    onConnect(session) {
      session.emit('task:join', { taskId }, (answer) => {
        if ((answer as { ok?: boolean } | undefined)?.ok !== true) errors.add(1);
      });
      session.socket.setTimeout(() => session.socket.close(), 40_000);
    },
    onEvent(name, payload) {
      const p = payload as { taskId?: string; seq?: number; event?: { createdAt: string } };
      if (p?.taskId !== taskId || typeof p.seq !== 'number' || name === 'task:state') return;
      if (name === 'task:event_added') {
        record('event', p.seq);
        if (p.event) latency.add(Date.now() - Date.parse(p.event.createdAt));
      } else record('status', p.seq);
    },
    onError: () => errors.add(1),
  });
  check(status, { 'upgraded to WebSocket (101)': (s) => s === 101 });
}

function webhook(event: string, payload: object): void {
  const body = JSON.stringify(payload);
  const res = http.post(`${BASE_URL}/api/webhooks/github`, body, {
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': `k6-${__VU}-${Date.now()}-${Math.random().toString(16).slice(2)}`,
      'x-hub-signature-256': `sha256=${crypto.hmac('sha256', __ENV.WEBHOOK_SECRET || '', body, 'hex')}`,
    },
  });
  check(res, { 'webhook accepted (2xx)': (r) => r.status >= 200 && r.status < 300 });
}

export function driver(data: Setup): void {
  const repository = { full_name: REPO };
  data.taskIds.forEach((id, i) => {
    const branch = `taskflow/${id.slice(0, 13)}`;
    webhook('create', { ref: branch, ref_type: 'branch', repository });
    sleep(1);
    const prNumber = 2000 + i;
    webhook('pull_request', {
      action: 'opened',
      repository,
      pull_request: {
        number: prNumber,
        html_url: `https://github.com/${REPO}/pull/${prNumber}`,
        title: `k6 ${id}`,
        body: null,
        head: { ref: branch, repo: repository },
      },
    });
  });
}
