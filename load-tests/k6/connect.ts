import { check } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { loadTokens, runSession } from './lib/socketio-session.ts';

/**
 * Ramp: VUS sockets connect, authenticate and join their dashboard, hold HOLD_S seconds, close.
 * Thresholds mirror the targets: join p99 ≤ 50 ms, connect + join p99 well inside 15 s, no errors.
 *   k6 run -e BASE_URL=http://127.0.0.1:3000 -e VUS=1000 load-tests/k6/connect.ts
 */
const connectJoin = new Trend('socketio_connect_join_ms', true);
const joinOnly = new Trend('socketio_join_ms', true);
const errors = new Counter('socketio_errors');

export const options = {
  scenarios: {
    connect: { executor: 'per-vu-iterations', vus: Number(__ENV.VUS || 100), iterations: 1, maxDuration: '2m' },
  },
  thresholds: {
    socketio_join_ms: ['p(99)<=50'],
    socketio_connect_join_ms: ['p(99)<=15000'],
    socketio_errors: ['count==0'],
  },
};

export function setup(): { tokens: string[] } {
  return { tokens: loadTokens() };
}

export default function (data: { tokens: string[] }): void {
  const token = data.tokens[(__VU - 1) % data.tokens.length]!;
  const started = Date.now();
  const status = runSession(token, {
    onConnect(session) {
      const sent = Date.now();
      session.emit('dashboard:join', {}, (answer) => {
        const ok = (answer as { ok?: boolean } | undefined)?.ok === true;
        if (!ok) errors.add(1);
        joinOnly.add(Date.now() - sent);
        connectJoin.add(Date.now() - started);
        session.socket.setTimeout(() => session.socket.close(), Number(__ENV.HOLD_S || 10) * 1000);
      });
    },
    onError: () => errors.add(1),
  });
  check(status, { 'upgraded to WebSocket (101)': (s) => s === 101 });
}
