import { check } from 'k6';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { BASE_URL, loadTokens, runSession } from './lib/socketio-session.ts';

/**
 * VUS dashboards listen for DURATION_S while a driver scenario creates RATE tasks per second
 * over REST (each commits received → analyzing → dispatched). Every row's seq is checked per
 * (socket, task); latency = receipt − the row's updatedAt (same clock: run k6 on this machine).
 *   k6 run -e BASE_URL=http://127.0.0.1:3000 -e VUS=500 -e RATE=2 load-tests/k6/dashboard.ts
 */
const latency = new Trend('commit_to_receipt_ms', true);
const duplicated = new Counter('seq_duplicated');
const outOfOrder = new Counter('seq_out_of_order');
const errors = new Counter('socketio_errors');
const durationS = Number(__ENV.DURATION_S || 30);

export const options = {
  scenarios: {
    viewers: {
      executor: 'per-vu-iterations',
      vus: Number(__ENV.VUS || 100),
      iterations: 1,
      maxDuration: `${durationS + 60}s`,
      exec: 'viewer',
    },
    driver: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 2),
      timeUnit: '1s',
      duration: `${durationS}s`,
      preAllocatedVUs: 5,
      startTime: '5s',
      exec: 'driver',
    },
  },
  thresholds: {
    commit_to_receipt_ms: ['p(99)<=200'],
    seq_duplicated: ['count==0'],
    seq_out_of_order: ['count==0'],
    socketio_errors: ['count==0'],
  },
};

export function setup(): { tokens: string[] } {
  return { tokens: loadTokens() };
}

export function viewer(data: { tokens: string[] }): void {
  const token = data.tokens[(__VU - 1) % data.tokens.length]!;
  const last: Record<string, number> = {};
  const status = runSession(token, {
    onConnect(session) {
      session.emit('dashboard:join', {}, (answer) => {
        if ((answer as { ok?: boolean } | undefined)?.ok !== true) errors.add(1);
      });
      session.socket.setTimeout(() => session.socket.close(), (durationS + 10) * 1000);
    },
    onEvent(name, payload) {
      if (name !== 'dashboard:task_list_updated') return;
      const row = payload as { taskId: string; seq: number; updatedAt: string };
      const prev = last[row.taskId] ?? 0;
      if (row.seq === prev) return duplicated.add(1);
      if (row.seq < prev) return outOfOrder.add(1);
      last[row.taskId] = row.seq;
      latency.add(Date.now() - Date.parse(row.updatedAt));
    },
    onError: () => errors.add(1),
  });
  check(status, { 'upgraded to WebSocket (101)': (s) => s === 101 });
}

export function driver(data: { tokens: string[] }): void {
  const token = data.tokens[Math.floor(Math.random() * data.tokens.length)]!;
  const res = http.post(
    `${BASE_URL}/api/tasks`,
    JSON.stringify({
      title: `k6 task ${__VU}-${__ITER}`,
      description: 'Fix the crash in src/payments/refund.ts when a refund amount is zero, and add a regression test for it.',
    }),
    { headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
  );
  check(res, { 'task accepted (202)': (r) => r.status === 202 });
}
