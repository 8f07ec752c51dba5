import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { BARE_KEY, BARE_ROOM, BARE_TASK_ID } from './bare-contract';

/**
 * Broadcasts a dashboard-row-shaped frame to the baseline's room at RATE per second for
 * DURATION_MS through @socket.io/redis-emitter (as the product's worker publishes), then
 * reports the last seq over IPC. `updatedAt` is the send time: receipt − updatedAt is the
 * same measure as the product's commit → receipt.
 */
const rate = Number(process.env.RATE);
const durationMs = Number(process.env.DURATION_MS);
const redis = new Redis(process.env.REDIS_URL ?? '');
const emitter = new Emitter(redis, { key: BARE_KEY });

const row = (seq: number) => ({
  taskId: BARE_TASK_ID,
  seq,
  title: `Bench task ${seq}`,
  status: 'coding',
  isPrivate: false,
  priority: 'medium',
  repo: 'acme/payments',
  creator: 'Bench user',
  createdBy: { id: '00000000-0000-4000-8000-0000000000c1', username: 'bench', name: 'Bench user' },
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
  prUrl: null,
  githubIssueUrl: 'https://sandbox.taskflow.invalid/acme/payments/issues/1',
});

async function main(): Promise<void> {
  const count = Math.max(1, Math.round(rate * (durationMs / 1000)));
  const started = Date.now();
  let seq = 0;
  while (seq < count) {
    // Catch up in bursts when the timer fires late, so the average rate holds.
    const due = Math.min(count, Math.floor(((Date.now() - started) * rate) / 1000) + 1);
    while (seq < due) emitter.to(BARE_ROOM).emit('dashboard:task_list_updated', row(++seq));
    await new Promise((r) => setTimeout(r, Math.max(1, started + (seq * 1000) / rate - Date.now())));
  }
  await redis.ping();
  process.send?.({ type: 'done', finalSeq: seq });
  redis.disconnect();
}

void main();
process.on('disconnect', () => process.exit(0));
