import type { Ack } from '@taskflow/events';
import { joinWithRetry } from './join-with-retry';

/** The retry loop with Jest's clock: the backoff reaches seconds, a real wait for five attempts would be long. */
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

const refused = (code: string): Ack<number> => ({ ok: false, error: { code, message: code } });

async function run(answers: Array<Ack<number> | 'timeout'>, forMs: number) {
  let sent = 0;
  const answered: Array<Ack<number> | undefined> = [];
  const stop = joinWithRetry<number>(
    async () => {
      const answer = answers[Math.min(sent++, answers.length - 1)]!;
      if (answer === 'timeout') throw new Error('operation has timed out');
      return answer;
    },
    (ack) => answered.push(ack),
  );
  await jest.advanceTimersByTimeAsync(forMs);
  stop();
  return { sent, answered };
}

it('stops retrying INTERNAL after five attempts and hands the last failure over', async () => {
  const { sent, answered } = await run([refused('INTERNAL')], 120_000);
  expect(sent).toBe(5);
  expect(answered).toEqual([refused('INTERNAL')]);
});

it('stops retrying a missing ack after five attempts and says no answer came', async () => {
  const { sent, answered } = await run(['timeout'], 120_000);
  expect(sent).toBe(5);
  expect(answered).toEqual([undefined]);
});

it('keeps retrying UNAVAILABLE past that, then takes the answer', async () => {
  const answers = [...Array.from({ length: 8 }, () => refused('UNAVAILABLE')), { ok: true as const, data: 7 }];
  const { sent, answered } = await run(answers, 120_000);
  expect(sent).toBe(9);
  expect(answered).toEqual([{ ok: true, data: 7 }]);
});

it('does not retry NOT_FOUND', async () => {
  const { sent, answered } = await run([refused('NOT_FOUND')], 60_000);
  expect(sent).toBe(1);
  expect(answered).toEqual([refused('NOT_FOUND')]);
});
