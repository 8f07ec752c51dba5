import { EventEmitter } from 'node:events';
import type { TestSocket } from './socket-client';
import { TaskMirror } from './task-mirror';

/** The mirror's retry loop against a stand-in socket and Jest's clock (the backoff reaches seconds). */
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function standIn(answer: (event: string) => Promise<unknown>) {
  const socket = Object.assign(new EventEmitter(), { connected: true });
  const sent: string[] = [];
  const client = {
    socket,
    connects: [0],
    request: (event: string) => {
      sent.push(event);
      return answer(event);
    },
  } as unknown as TestSocket;
  return { socket, sent, client };
}

it('re-joins after INTERNAL at most five times in all', async () => {
  const { socket, sent, client } = standIn(async () => ({ ok: false, error: { code: 'INTERNAL', message: 'x' } }));
  const mirror = new TaskMirror(client, 't1');
  socket.emit('connect');
  await jest.advanceTimersByTimeAsync(300_000);
  expect(sent).toEqual(Array(5).fill('task:join'));
  expect(mirror.retries).toBe(4);
});

it('re-joins after UNAVAILABLE past that, until answered', async () => {
  let n = 0;
  const { socket, sent, client } = standIn(async () =>
    ++n < 8 ? { ok: false, error: { code: 'UNAVAILABLE', message: 'x' } } : { ok: true, data: { seq: 0 } },
  );
  new TaskMirror(client, 't1');
  socket.emit('connect');
  await jest.advanceTimersByTimeAsync(300_000);
  expect(sent).toHaveLength(8);
});
