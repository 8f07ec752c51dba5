import { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io';
import { OutboundLimit, queuedBytes } from './outbound-limit';

/** A socket as the limit sees it: engine.io's write buffer, the ws socket's buffered bytes, the transport's 'drain'. */
function fakeSocket() {
  const transport = Object.assign(new EventEmitter(), { name: 'websocket', socket: { bufferedAmount: 0 } });
  const conn = { transport, writeBuffer: [] as Array<{ data?: unknown; options?: { wsPreEncodedFrame?: Buffer[] } }> };
  const emitted: Array<[string, unknown]> = [];
  const socket = Object.assign(new EventEmitter(), {
    conn,
    connected: true,
    emit(event: string, payload?: unknown) {
      if (event === 'disconnect') return EventEmitter.prototype.emit.call(socket, event, payload);
      emitted.push([event, payload]);
      return true;
    },
  });
  return { socket: socket as unknown as Socket, transport, conn, emitted, raw: socket };
}

describe('queuedBytes', () => {
  it("adds engine.io's waiting packets (pre-encoded frames, strings, buffers) to what ws has not written", () => {
    const { socket, transport, conn } = fakeSocket();
    transport.socket.bufferedAmount = 1000;
    conn.writeBuffer.push({ data: 'x'.repeat(50), options: { wsPreEncodedFrame: [Buffer.alloc(2), Buffer.alloc(300)] } });
    conn.writeBuffer.push({ data: 'y'.repeat(40) }, { data: Buffer.alloc(7) });
    expect(queuedBytes(socket)).toBe(1000 + 302 + 40 + 7);
    // Counting stops once the threshold is reached.
    expect(queuedBytes(socket, 1100)).toBe(1302);
  });

  it('counts only the write buffer on long-polling', () => {
    const { socket, transport, conn } = fakeSocket();
    transport.name = 'polling';
    transport.socket.bufferedAmount = 5000;
    conn.writeBuffer.push({ data: 'z'.repeat(10) });
    expect(queuedBytes(socket)).toBe(10);
  });
});

describe('OutboundLimit', () => {
  it('skips a socket past the limit, and lets it back with sync:required once drained below a quarter', () => {
    const counts = { fellBehind: 0, skipped: 0 };
    const limit = new OutboundLimit({ maxBytes: 1000, onFellBehind: () => counts.fellBehind++, onSkipped: () => counts.skipped++ });
    const { socket, transport, emitted } = fakeSocket();
    transport.socket.bufferedAmount = 1000;
    expect(limit.admit(socket)).toBe(true);
    transport.socket.bufferedAmount = 1001;
    expect(limit.admit(socket)).toBe(false);
    expect(limit.admit(socket)).toBe(false);
    expect(counts).toEqual({ fellBehind: 1, skipped: 2 });
    expect(limit.behindNow).toBe(1);
    // Below the limit but above the low-water mark: still behind, told nothing.
    transport.socket.bufferedAmount = 300;
    expect(limit.admit(socket)).toBe(false);
    expect(emitted).toEqual([]);
    transport.socket.bufferedAmount = 249;
    expect(limit.admit(socket)).toBe(true);
    expect(emitted).toEqual([['sync:required', { reason: 'fell_behind' }]]);
    expect(limit.behindNow).toBe(0);
    expect(transport.listenerCount('drain')).toBe(0);
  });

  it('tells a behind socket when its transport drains, without waiting for another broadcast', () => {
    const limit = new OutboundLimit({ maxBytes: 1000 });
    const { socket, transport, emitted } = fakeSocket();
    transport.socket.bufferedAmount = 5000;
    expect(limit.admit(socket)).toBe(false);
    transport.socket.bufferedAmount = 2000;
    transport.emit('drain');
    expect(emitted).toEqual([]);
    transport.socket.bufferedAmount = 0;
    transport.emit('drain');
    expect(emitted).toEqual([['sync:required', { reason: 'fell_behind' }]]);
    transport.emit('drain');
    expect(emitted).toHaveLength(1);
  });

  it('forgets a socket that disconnects while behind, and tells it nothing', () => {
    const limit = new OutboundLimit({ maxBytes: 1000 });
    const { socket, transport, emitted, raw } = fakeSocket();
    transport.socket.bufferedAmount = 5000;
    expect(limit.admit(socket)).toBe(false);
    raw.connected = false;
    raw.emit('disconnect', 'transport close');
    expect(limit.behindNow).toBe(0);
    expect(transport.listenerCount('drain')).toBe(0);
    transport.socket.bufferedAmount = 0;
    transport.emit('drain');
    expect(emitted).toEqual([]);
  });

  it('refuses a limit that is not positive', () => {
    expect(() => new OutboundLimit({ maxBytes: 0 })).toThrow(RangeError);
  });
});
