import { Redis } from 'ioredis';
import { testEnv } from '@taskflow/testing';
import { RedisCounterSampler, redisDelta } from './redis-counters';

/** Against a real Redis (the shared test one: other tests' traffic only adds to the counters, so bounds are lower ones). */
describe('RedisCounterSampler', () => {
  it('sees the bytes of a broadcast go in once and out once per subscriber', async () => {
    const url = testEnv('TEST_REDIS_URL');
    const sampler = new RedisCounterSampler(url);
    const subscribers = [new Redis(url), new Redis(url)];
    const publisher = new Redis(url);
    const channel = `bench-counters-${process.pid}-${Date.now()}`;
    const payload = 'x'.repeat(20_000);
    try {
      let received = 0;
      for (const s of subscribers) {
        s.on('message', () => (received += 1));
        await s.subscribe(channel);
      }
      const before = await sampler.sample();
      for (let i = 0; i < 3; i++) await publisher.publish(channel, payload);
      const deadline = Date.now() + 10_000;
      while (received < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(received).toBe(6);
      const d = redisDelta(before, await sampler.sample())!;
      expect(d.publishes).toBeGreaterThanOrEqual(3);
      expect(d.netInputBytes).toBeGreaterThanOrEqual(3 * 20_000);
      expect(d.netOutputBytes).toBeGreaterThanOrEqual(6 * 20_000);
    } finally {
      sampler.close();
      for (const c of [...subscribers, publisher]) c.disconnect();
    }
  });

  it('answers null, not an error, when Redis is not there', async () => {
    const sampler = new RedisCounterSampler('redis://127.0.0.1:1');
    try {
      expect(await sampler.sample()).toBeNull();
    } finally {
      sampler.close();
    }
  });
});
