import http from 'k6/http';
import ws from 'k6/ws';
import type { Socket } from 'k6/ws';
import { decodeFrame, encodeConnect, encodeEvent, PONG, socketIoUrl } from '../../src/protocol/socketio-framing.ts';

/** Where the product is: BASE_URL (HAProxy of `npm run cluster`), 127.0.0.1 only. */
export const BASE_URL: string = __ENV.BASE_URL || 'http://127.0.0.1:3000';
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/.test(BASE_URL)) throw new Error('BASE_URL must point at this machine');

/**
 * Tokens for the virtual users: TOKENS_FILE (a JSON array of JWTs, e.g. written by a bench run),
 * else a login per user in USERS (comma-separated, password PASSWORD; the login route allows
 * 20 attempts per minute per address, so keep that list short).
 */
export function loadTokens(): string[] {
  if (__ENV.TOKENS_FILE) return JSON.parse(open(__ENV.TOKENS_FILE)) as string[];
  const users = (__ENV.USERS || 'alice,bob,carol').split(',');
  return users.map((username) => {
    const res = http.post(`${BASE_URL}/api/auth/login`, JSON.stringify({ username, password: __ENV.PASSWORD || 'taskflow' }), {
      headers: { 'content-type': 'application/json' },
    });
    if (res.status !== 200) throw new Error(`login as ${username}: HTTP ${res.status}`);
    return (res.json() as { token: string }).token;
  });
}

export interface Session {
  socket: Socket;
  /** Sends an event with an ack; `onAck` gets the ack's first argument. */
  emit(name: string, data: unknown, onAck?: (answer: unknown) => void): void;
}

export interface SessionHandlers {
  /** Called once the Socket.IO handshake (with the token) succeeded. */
  onConnect(session: Session): void;
  onEvent?(name: string, payload: unknown): void;
  onError?(message: string): void;
}

/**
 * One Socket.IO session over k6's WebSocket: the same framing module as the Node generator
 * (open → `40{token}` → `40{sid}`, pings answered with `3`, `42[…]` events, `43…` acks).
 * Blocks until the socket closes, as k6's ws.connect does.
 */
export function runSession(token: string, handlers: SessionHandlers): number {
  const res = ws.connect(socketIoUrl(BASE_URL), {}, (socket) => {
    let nextAck = 0;
    const acks: Record<number, (answer: unknown) => void> = {};
    const session: Session = {
      socket,
      emit(name, data, onAck) {
        const id = nextAck++;
        if (onAck) acks[id] = onAck;
        socket.send(encodeEvent(name, data, id));
      },
    };
    socket.on('message', (frame: string) => {
      const packet = decodeFrame(frame);
      switch (packet.kind) {
        case 'open':
          return socket.send(encodeConnect({ token }));
        case 'ping':
          return socket.send(PONG);
        case 'connect':
          return handlers.onConnect(session);
        case 'connect_error':
          handlers.onError?.(packet.message);
          return socket.close();
        case 'event':
          return handlers.onEvent?.(packet.name, packet.args[0]);
        case 'ack': {
          const done = acks[packet.ackId];
          delete acks[packet.ackId];
          return done?.(packet.args[0]);
        }
        default:
          return undefined;
      }
    });
    socket.on('error', (e) => handlers.onError?.(String(e.error())));
  });
  return res ? res.status : 0;
}
