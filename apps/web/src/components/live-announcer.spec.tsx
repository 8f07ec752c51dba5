/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, render, screen } from '@testing-library/react';
import { LiveAnnouncerProvider, useTaskChangeAnnouncer, type AnnouncedTask } from './live-announcer';

function Board({ tasks }: { tasks: AnnouncedTask[] }) {
  useTaskChangeAnnouncer(tasks);
  return <p>{tasks.length} tasks</p>;
}

const task = (taskId: string, title: string, status: AnnouncedTask['status'], extra: Partial<AnnouncedTask> = {}): AnnouncedTask => ({
  taskId,
  title,
  status,
  ...extra,
});
const region = () => screen.getByRole('status');
const said = () => [...region().querySelectorAll('p')].map((p) => p.textContent);

function mount(tasks: AnnouncedTask[]) {
  const view = render(
    <LiveAnnouncerProvider>
      <Board tasks={tasks} />
    </LiveAnnouncerProvider>,
  );
  return (next: AnnouncedTask[]) =>
    view.rerender(
      <LiveAnnouncerProvider>
        <Board tasks={next} />
      </LiveAnnouncerProvider>,
    );
}

afterEach(() => jest.useRealTimers());

it('is one polite status region that says nothing about the tasks present on load', () => {
  mount([task('a', 'Fix payment bug', 'coding'), task('b', 'Add CSV export', 'merged')]);
  expect(region().getAttribute('aria-live')).toBe('polite');
  expect(said()).toEqual([]);
});

it('announces a live status change with the task’s title, and nothing for a re-render that changes nothing', () => {
  const update = mount([task('a', 'Fix payment bug', 'coding'), task('b', 'Add CSV export', 'dispatched')]);
  update([task('a', 'Fix payment bug', 'pr_open'), task('b', 'Add CSV export', 'dispatched')]);
  expect(said()).toEqual(['Fix payment bug: PR open']);
  update([task('a', 'Fix payment bug', 'pr_open'), task('b', 'Add CSV export', 'dispatched')]);
  expect(said()).toEqual(['Fix payment bug: PR open']);
});

it('announces the PR’s own changes in the badges’ words, and a closed PR as “Closed, unmerged”, not as a failure', () => {
  const update = mount([task('a', 'Fix payment bug', 'pr_open', { prState: 'draft' })]);
  update([task('a', 'Fix payment bug', 'pr_open', { prState: 'ready' })]);
  update([task('a', 'Fix payment bug', 'pr_open', { prState: 'ready', reviewState: 'approved', checksState: 'failing' })]);
  update([task('a', 'Fix payment bug', 'failed', { prState: 'closed' })]);
  expect(said()).toEqual([
    'Fix payment bug: Ready for review',
    'Fix payment bug: Approved, CI failing',
    'Fix payment bug: Closed, unmerged',
  ]);
});

it('does not announce a task that appears for the first time (a new row, or another filter’s results)', () => {
  const update = mount([task('a', 'Fix payment bug', 'coding')]);
  update([task('a', 'Fix payment bug', 'coding'), task('c', 'Brand new', 'received')]);
  expect(said()).toEqual([]);
  update([task('a', 'Fix payment bug', 'coding'), task('c', 'Brand new', 'analyzing')]);
  expect(said()).toEqual(['Brand new: Analyzing']);
});

it('clears each message after a few seconds, so the region does not pile up', () => {
  jest.useFakeTimers();
  const update = mount([task('a', 'Fix payment bug', 'coding')]);
  update([task('a', 'Fix payment bug', 'pr_open')]);
  expect(said()).toHaveLength(1);
  act(() => jest.advanceTimersByTime(6000));
  expect(said()).toEqual([]);
});
