/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, render, screen } from '@testing-library/react';
import type { RolloutStateResponse } from '@taskflow/events';
import { RolloutPanel } from './rollout-panel';

/** The panel's floor (TEN_SECONDS), spelt out: the test states the promise, not the constant. */
const TEN_SECONDS = 10_000;

const STATE: RolloutStateResponse = {
  scope: 'cluster',
  enabled: true,
  percent: 100,
  orgs: [],
  users: [],
  counts: { live: 4, polling: 1, pollingWindowSeconds: 15 },
  audit: [],
};

/** The network boundary: `/api/admin/rollout` answers when the test says so (`answerAll`). */
function serveSlowly() {
  const pending: Array<() => void> = [];
  let asked = 0;
  globalThis.fetch = async () => {
    asked += 1;
    await new Promise<void>((r) => pending.push(r));
    return { ok: true, status: 200, json: async () => STATE } as Response;
  };
  return { asked: () => asked, answerAll: () => pending.splice(0).forEach((r) => r()) };
}

it('asks at most every 10 s whatever the page asks for, and never while its last request is unanswered', async () => {
  jest.useFakeTimers();
  try {
    const server = serveSlowly();
    render(<RolloutPanel pollMs={1000} />);
    expect(server.asked()).toBe(1);
    // A slow server: ticks come and go while the first read waits; none sends a second one.
    await act(async () => void jest.advanceTimersByTime(TEN_SECONDS * 3));
    expect(server.asked()).toBe(1);
    await act(async () => server.answerAll());
    expect((await screen.findByTestId('rollout-live-count')).textContent).toBe('4');
    // Answered: the next tick asks again, and not before 10 s.
    await act(async () => void jest.advanceTimersByTime(TEN_SECONDS - 1000));
    expect(server.asked()).toBe(1);
    await act(async () => void jest.advanceTimersByTime(1000));
    expect(server.asked()).toBe(2);
    await act(async () => server.answerAll());
  } finally {
    jest.useRealTimers();
  }
});
