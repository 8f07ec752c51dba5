import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { testEnv } from '@taskflow/testing';
import { SocketRateLimits } from './rate-limit';

/** The per-user budget against real Redis: many tabs joining at once pass, a flood across sockets does not. */
let redis: Redis;
beforeAll(() => {
  redis = new Redis(testEnv('TEST_REDIS_URL'));
});
afterAll(() => redis.disconnect());

const limits = () => new SocketRateLimits(redis, { perSocket: 5, perUser: 3, prefix: `t${randomBytes(4).toString('hex')}` });

it("lets 30 sockets of one user make their first dashboard join at once (free for the user's budget)", async () => {
  const l = limits();
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => l.allow(`s${i}`, 'u1', 1, 0)));
  expect(answers.every(Boolean)).toBe(true);
});

it("still stops a flood spread over the user's sockets, and one socket's own flood", async () => {
  const l = limits();
  const spread = await Promise.all(Array.from({ length: 10 }, (_, i) => l.allow(`s${i}`, 'u1')));
  expect(spread.filter(Boolean)).toHaveLength(3);
  const own = [];
  for (let i = 0; i < 8; i += 1) own.push(await l.allow('one', 'u2', 1, 0));
  expect(own.filter(Boolean)).toHaveLength(5);
});
