import { decodeFrame, encodeConnect, encodeEvent, PONG, socketIoUrl } from './socketio-framing';

describe('Socket.IO framing', () => {
  it('encodes the handshake, events with and without ack ids, and the pong', () => {
    expect(encodeConnect({ token: 'abc' })).toBe('40{"token":"abc"}');
    expect(encodeConnect()).toBe('40');
    expect(encodeEvent('dashboard:join', {})).toBe('42["dashboard:join",{}]');
    expect(encodeEvent('task:join', { taskId: 't' }, 12)).toBe('4212["task:join",{"taskId":"t"}]');
    expect(PONG).toBe('3');
    expect(socketIoUrl('http://127.0.0.1:3000/')).toBe('ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket');
  });

  it('decodes open, ping, connect, events, acks and connect errors', () => {
    expect(decodeFrame('0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}')).toEqual({
      kind: 'open',
      open: { sid: 's1', upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 },
    });
    expect(decodeFrame('2')).toEqual({ kind: 'ping' });
    expect(decodeFrame('40{"sid":"abc"}')).toEqual({ kind: 'connect', sid: 'abc' });
    expect(decodeFrame('42["dashboard:task_list_updated",{"taskId":"t","seq":3}]')).toEqual({
      kind: 'event',
      name: 'dashboard:task_list_updated',
      args: [{ taskId: 't', seq: 3 }],
      ackId: undefined,
    });
    expect(decodeFrame('4317[{"ok":true}]')).toEqual({ kind: 'ack', ackId: 17, args: [{ ok: true }] });
    expect(decodeFrame('44{"message":"Invalid token"}')).toEqual({ kind: 'connect_error', message: 'Invalid token', data: undefined });
    expect(decodeFrame('42/admin,["x",1]')).toEqual({ kind: 'event', name: 'x', args: [1], ackId: undefined });
  });

  it('reports malformed and unsupported frames instead of throwing', () => {
    expect(decodeFrame('42[not json').kind).toBe('unsupported');
    expect(decodeFrame('42[1,2]').kind).toBe('unsupported');
    expect(decodeFrame('451-["x",{"_placeholder":true,"num":0}]').kind).toBe('unsupported');
    expect(decodeFrame('9').kind).toBe('unsupported');
    expect(decodeFrame('43[]').kind).toBe('unsupported');
  });
});
