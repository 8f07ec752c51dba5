/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, render, screen } from '@testing-library/react';
import { FAST_TICK_MS, SLOW_TICK_MS } from './relative-clock';
import { RelativeTime } from './relative-time';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

beforeEach(() => jest.useFakeTimers({ now: NOW }));
afterEach(() => jest.useRealTimers());

it('counts up every second while under a minute old, with one timer for every time on the page', () => {
  render(
    <>
      {Array.from({ length: 20 }, (_, i) => (
        <RelativeTime key={i} iso={ago(5000)} />
      ))}
    </>,
  );
  expect(screen.getAllByText('5 seconds ago')).toHaveLength(20);
  expect(jest.getTimerCount()).toBe(1);
  act(() => void jest.advanceTimersByTime(1000));
  expect(screen.getAllByText('6 seconds ago')).toHaveLength(20);
  act(() => void jest.advanceTimersByTime(3000));
  expect(screen.getAllByText('9 seconds ago')).toHaveLength(20);
  expect(jest.getTimerCount()).toBe(1);
  act(() => void jest.advanceTimersByTime(51_000));
  expect(screen.getAllByText('1 minute ago')).toHaveLength(20);
});

it('ticks slower once everything shown is a minute old, faster again when a new time appears, and stops with none', () => {
  const timeouts = jest.spyOn(globalThis, 'setTimeout');
  const delays = () => timeouts.mock.calls.map((call) => call[1]);
  const { rerender, unmount } = render(<RelativeTime iso={ago(120_000)} />);
  expect(screen.getByText('2 minutes ago')).toBeTruthy();
  expect(delays().at(-1)).toBe(SLOW_TICK_MS);
  act(() => void jest.advanceTimersByTime(SLOW_TICK_MS));
  expect(delays().at(-1)).toBe(SLOW_TICK_MS);

  rerender(
    <>
      <RelativeTime iso={ago(120_000)} />
      <RelativeTime iso={new Date(Date.now() - 2000).toISOString()} />
    </>,
  );
  expect(screen.getByText('2 seconds ago')).toBeTruthy();
  expect(delays().at(-1)).toBe(FAST_TICK_MS);
  act(() => void jest.advanceTimersByTime(FAST_TICK_MS));
  expect(screen.getByText('3 seconds ago')).toBeTruthy();
  expect(jest.getTimerCount()).toBe(1);
  unmount();
  expect(jest.getTimerCount()).toBe(0);
  timeouts.mockRestore();
});

it('says "now" for a time just ahead of the page’s clock (stamped after its last tick, or by a server a little ahead)', () => {
  render(<RelativeTime iso={ago(5000)} />);
  act(() => void jest.advanceTimersByTime(600));
  // Created 400 ms after the clock's last tick, 200 ms before the next one.
  const { container } = render(<RelativeTime iso={new Date(NOW + 400).toISOString()} />);
  expect(container.textContent).toBe('now');
  // The next tick: 600 ms old.
  act(() => void jest.advanceTimersByTime(400));
  expect(container.textContent).toBe('1 second ago');
  const ahead = render(<RelativeTime iso={new Date(Date.now() + 3000).toISOString()} />);
  expect(ahead.container.textContent).toBe('now');
});

it('reads the time afresh when a new time speeds up a slow clock, rather than its last tick’s', () => {
  render(<RelativeTime iso={ago(120_000)} />);
  act(() => void jest.advanceTimersByTime(10_000));
  const { container } = render(<RelativeTime iso={new Date(Date.now() - 2000).toISOString()} />);
  expect(container.textContent).toBe('2 seconds ago');
});
