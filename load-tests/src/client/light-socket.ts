import WebSocket from 'ws';
import { decodeFrame, encodeConnect, encodeEvent, PONG, socketIoUrl } from '../protocol/socketio-framing';

type EventListener = (name: string, payload: unknown, receivedAtMs: number) => void;

export interface LightSocketOptions {
  /** `http://127.0.0.1:PORT` of HAProxy, a node or a baseline server. */
  url: string;
  auth?: Record<string, unknown>;
  /** Source address on the loopback range, so one generator can open more than ~28k sockets to one port. */
  localAddress?: string;
  timeoutMs: number;
  onEvent: EventListener;
  /** Called once when the socket closes after it had connected (not for a close we asked for). */
  onUnexpectedClose?: (reason: string) => void;
}

/** Wall-clock milliseconds with sub-millisecond resolution (for receipt − commit latencies). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/**
 * A Socket.IO client of a few hundred bytes of state: Engine.IO/Socket.IO framing over
 * a bare `ws` socket, WebSocket transport only, no reconnection (a drop is counted, not
 * hidden). Far cheaper than socket.io-client, so the generator is not the bottleneck.
 */
export class LightSocket {
  private ws: WebSocket | undefined;
  private nextAckId = 0;
  private readonly acks = new Map<number, (args: unknown[]) => void>();
  private closing = false;
  /** Moved by its node once (connection:reconnect): its handshakes say `rebalance=1`. */
  private moved = false;
  connected = false;

  constructor(private readonly opts: LightSocketOptions) {}

  /** Opens the socket and completes the Socket.IO handshake (auth included). */
  connect(): Promise<void> {
    // A failed attempt before this one set it: this connection's own close is unexpected again.
    this.closing = false;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          this.closing = true;
          this.ws?.terminate();
          reject(err);
        } else resolve();
      };
      const timer = setTimeout(() => finish(new Error(`handshake timed out after ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      const ws = new WebSocket(socketIoUrl(this.opts.url, this.moved ? '&rebalance=1' : ''), {
        perMessageDeflate: false,
        localAddress: this.opts.localAddress,
      });
      this.ws = ws;
      ws.on('error', (err) => finish(err));
      ws.on('close', (code) => {
        finish(new Error(`closed before the handshake (code ${code})`));
        // A connection replaced by reconnect(): the new one's state is not this one's to reset.
        if (this.ws !== ws) return;
        const wasConnected = this.connected;
        this.connected = false;
        for (const resolveAck of this.acks.values()) resolveAck([{ ok: false, error: { code: 'CLOSED', message: 'socket closed' } }]);
        this.acks.clear();
        if (wasConnected && !this.closing) this.opts.onUnexpectedClose?.(`close ${code}`);
      });
      ws.on('message', (data, isBinary) => {
        // A connection replaced by reconnect() may still hand over frames it had received: they are not this one's.
        if (isBinary || this.ws !== ws) return;
        const received = nowMs();
        const packet = decodeFrame(data.toString());
        switch (packet.kind) {
          case 'open':
            ws.send(encodeConnect(this.opts.auth));
            return;
          case 'ping':
            ws.send(PONG);
            return;
          case 'connect':
            this.connected = true;
            finish();
            return;
          case 'connect_error':
            finish(new Error(`connect_error: ${packet.message}`));
            return;
          case 'event':
            this.opts.onEvent(packet.name, packet.args[0], received);
            return;
          case 'ack': {
            const resolveAck = this.acks.get(packet.ackId);
            this.acks.delete(packet.ackId);
            resolveAck?.(packet.args);
            return;
          }
          case 'disconnect':
          case 'close':
            ws.close();
            return;
          default:
            return;
        }
      });
    });
  }

  /**
   * Closes this connection on purpose and opens a new one (a new handshake, so the load balancer picks the node):
   * what a client does on `connection:reconnect`. Not an unexpected close.
   */
  async reconnect(): Promise<void> {
    // As the client library: this handshake may go to any node (the load balancer's rule for `rebalance`).
    this.moved = true;
    const old = this.ws;
    this.connected = false;
    for (const resolveAck of this.acks.values()) resolveAck([{ ok: false, error: { code: 'CLOSED', message: 'reconnecting' } }]);
    this.acks.clear();
    this.ws = undefined;
    old?.close();
    await this.connect();
  }

  /** Sends an event and resolves with the first argument of its acknowledgement. */
  emitWithAck(name: string, data: unknown, timeoutMs = this.opts.timeoutMs): Promise<unknown> {
    const ws = this.ws;
    if (!ws || !this.connected) return Promise.reject(new Error('not connected'));
    const id = this.nextAckId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.acks.delete(id);
        reject(new Error(`no ack for ${name} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.acks.set(id, (args) => {
        clearTimeout(timer);
        resolve(args[0]);
      });
      ws.send(encodeEvent(name, data, id));
    });
  }

  /**
   * Reads at most `bytesPerSec` from the TCP socket from now on (0: stops reading): the kernel's buffers fill, then the
   * server's. By pausing and resuming the socket every 100 ms, as a slow link would let the bytes through.
   */
  throttle(bytesPerSec: number): void {
    // ws keeps its net.Socket private; the byte-level control a slow link needs is only there.
    const tcp = (this.ws as unknown as { _socket?: import('node:net').Socket } | undefined)?._socket;
    if (!tcp) return;
    let blocked = true;
    // ws resumes the socket itself once its parser drains: a blocked one is paused again.
    tcp.on('resume', () => blocked && tcp.pause());
    tcp.pause();
    if (bytesPerSec <= 0) return;
    const perTick = Math.max(1, Math.round(bytesPerSec / 10));
    let allowance = 0;
    tcp.on('data', (chunk: Buffer) => {
      allowance -= chunk.length;
      if (allowance <= 0) {
        blocked = true;
        tcp.pause();
      }
    });
    const timer = setInterval(() => {
      if (tcp.destroyed) return clearInterval(timer);
      allowance = Math.min(allowance, 0) + perTick;
      if (allowance > 0 && blocked) {
        blocked = false;
        tcp.resume();
      }
    }, 100);
    timer.unref();
  }

  close(): void {
    this.closing = true;
    this.connected = false;
    this.ws?.close();
  }

  /** Closes without the closing handshake (at the end of a run, thousands at once). */
  terminate(): void {
    this.closing = true;
    this.connected = false;
    this.ws?.terminate();
  }
}
