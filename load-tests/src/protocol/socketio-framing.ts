/**
 * Engine.IO v4 / Socket.IO v5 text framing over a plain WebSocket, for the
 * load generator (Node, `ws`) and the k6 scripts alike. Pure functions, no
 * imports: k6 loads this very file, so it must not touch Node or npm modules.
 *
 * Engine.IO packet = one type digit + data: 0 open, 1 close, 2 ping, 3 pong,
 * 4 message, 6 noop. A message carries a Socket.IO packet: one type digit
 * (0 connect, 1 disconnect, 2 event, 3 ack, 4 connect error), an optional
 * namespace (`/admin,`), an optional ack id, then JSON. Binary attachments are
 * not used by this product and are reported as unsupported.
 */

/** The path a Socket.IO server listens on, with the query that selects Engine.IO v4 over WebSocket. */
const SOCKET_IO_WS_PATH = '/socket.io/?EIO=4&transport=websocket';

interface OpenPacket {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

export type Decoded =
  | { kind: 'open'; open: OpenPacket }
  | { kind: 'close' }
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'noop' }
  | { kind: 'connect'; sid: string }
  | { kind: 'disconnect' }
  | { kind: 'event'; name: string; args: unknown[]; ackId: number | undefined }
  | { kind: 'ack'; ackId: number; args: unknown[] }
  | { kind: 'connect_error'; message: string; data: unknown }
  | { kind: 'unsupported'; reason: string; frame: string };

/** `ws://host:port` (or `http://…`) → the WebSocket URL of its Socket.IO endpoint. */
export function socketIoUrl(base: string, extraQuery = ''): string {
  return `${base.replace(/^http/, 'ws').replace(/\/+$/, '')}${SOCKET_IO_WS_PATH}${extraQuery}`;
}

/** Socket.IO CONNECT to the main namespace with the handshake's `auth` object (e.g. `{ token }`). */
export function encodeConnect(auth?: Record<string, unknown>): string {
  return auth ? `40${JSON.stringify(auth)}` : '40';
}

/** An event, optionally asking for an acknowledgement with `ackId`: `42["name",data]` / `421["name",data]`. */
export function encodeEvent(name: string, data: unknown, ackId?: number): string {
  return `42${ackId === undefined ? '' : String(ackId)}${JSON.stringify(data === undefined ? [name] : [name, data])}`;
}

/** The answer to a server's ping. */
export const PONG = '3';

const unsupported = (reason: string, frame: string): Decoded => ({ kind: 'unsupported', reason, frame });

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Decodes one WebSocket text frame. Never throws: malformed input comes back as `unsupported`. */
export function decodeFrame(frame: string): Decoded {
  switch (frame[0]) {
    case '0': {
      const json = parseJson(frame.slice(1));
      if (!json.ok || typeof json.value !== 'object' || json.value === null) return unsupported('bad open packet', frame);
      const o = json.value as Partial<OpenPacket>;
      return {
        kind: 'open',
        open: {
          sid: String(o.sid),
          upgrades: o.upgrades ?? [],
          pingInterval: Number(o.pingInterval),
          pingTimeout: Number(o.pingTimeout),
          maxPayload: Number(o.maxPayload),
        },
      };
    }
    case '1':
      return { kind: 'close' };
    case '2':
      return { kind: 'ping' };
    case '3':
      return { kind: 'pong' };
    case '4':
      return decodeSocketIo(frame.slice(1), frame);
    case '6':
      return { kind: 'noop' };
    default:
      return unsupported('unknown Engine.IO packet type', frame);
  }
}

function decodeSocketIo(body: string, frame: string): Decoded {
  const type = body[0];
  let i = 1;
  if (type === '5' || type === '6') return unsupported('binary packets are not supported', frame);
  // A namespace other than "/" is written before a comma; this client only uses the main one.
  if (body[i] === '/') {
    const comma = body.indexOf(',', i);
    if (comma < 0) return unsupported('namespace without comma', frame);
    i = comma + 1;
  }
  let idEnd = i;
  while (idEnd < body.length && body.charCodeAt(idEnd) >= 48 && body.charCodeAt(idEnd) <= 57) idEnd++;
  const ackId = idEnd > i ? Number(body.slice(i, idEnd)) : undefined;
  const rest = body.slice(idEnd);
  const json = rest ? parseJson(rest) : { ok: true as const, value: undefined };
  if (!json.ok) return unsupported('bad JSON', frame);
  switch (type) {
    case '0': {
      const sid = (json.value as { sid?: unknown } | undefined)?.sid;
      return { kind: 'connect', sid: typeof sid === 'string' ? sid : '' };
    }
    case '1':
      return { kind: 'disconnect' };
    case '2': {
      const arr = json.value;
      if (!Array.isArray(arr) || typeof arr[0] !== 'string') return unsupported('event without a name', frame);
      return { kind: 'event', name: arr[0], args: arr.slice(1), ackId };
    }
    case '3':
      if (ackId === undefined || !Array.isArray(json.value)) return unsupported('ack without id or arguments', frame);
      return { kind: 'ack', ackId, args: json.value };
    case '4': {
      const v = json.value as { message?: unknown; data?: unknown } | undefined;
      return { kind: 'connect_error', message: typeof v?.message === 'string' ? v.message : 'connect error', data: v?.data };
    }
    default:
      return unsupported('unknown Socket.IO packet type', frame);
  }
}
