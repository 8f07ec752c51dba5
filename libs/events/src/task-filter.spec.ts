import { pgTimestampMs } from './formats';
import type { DashboardTask } from './task.schema';
import {
  FILTER_DATE_PATTERN,
  filterBound,
  filterFromSearchParams,
  filterProblems,
  filterToSearchParams,
  isEmptyFilter,
  taskMatchesFilter,
  type TaskFilter,
} from './task-filter';

const row: DashboardTask = {
  taskId: '3f2b8c1e-8d9a-4c1e-9d5e-2b8c1e8d9a4c',
  seq: 3,
  title: 'Add CSV export',
  status: 'coding',
  isPrivate: false,
  priority: 'urgent',
  repo: 'acme/web',
  creator: 'Alice',
  createdBy: { id: '11111111-2222-4333-8444-555555555555', username: 'alice', name: 'Alice' },
  createdAt: '2026-03-10T12:00:00.000Z',
  updatedAt: '2026-03-12T23:59:59.000Z',
  prUrl: null,
  githubIssueUrl: null,
  prState: null,
  reviewState: null,
  checksState: null,
};

describe('taskMatchesFilter', () => {
  it('matches structured fields exactly and says unknown where the server must decide', () => {
    expect(taskMatchesFilter(row, {})).toBe(true);
    expect(taskMatchesFilter(row, { repo: 'acme/web', priority: 'urgent', status: ['coding', 'failed'] })).toBe(true);
    expect(taskMatchesFilter(row, { repo: 'acme/payments' })).toBe(false);
    expect(taskMatchesFilter(row, { status: ['failed'] })).toBe(false);
    expect(taskMatchesFilter(row, { creator: '99999999-2222-4333-8444-555555555555' })).toBe(false);
    expect(taskMatchesFilter(row, { q: 'csv' })).toBe('unknown');
    expect(taskMatchesFilter(row, { q: 'csv', repo: 'acme/payments' })).toBe(false);
    expect(taskMatchesFilter(row, { agent: 'codex' })).toBe('unknown');
  });

  it('treats a date-only upper bound as the whole day and both ends as inclusive', () => {
    expect(taskMatchesFilter(row, { updatedTo: '2026-03-12' })).toBe(true);
    expect(taskMatchesFilter(row, { updatedTo: '2026-03-11' })).toBe(false);
    expect(taskMatchesFilter(row, { createdFrom: '2026-03-10T12:00:00Z', createdTo: '2026-03-10T12:00:00Z' })).toBe(true);
    expect(taskMatchesFilter(row, { createdFrom: '2026-03-11' })).toBe(false);
  });
});

describe('filter validation and the URL', () => {
  it('names impossible dates and reversed ranges', () => {
    expect(filterBound('2026-02-29', 'from')).toBeUndefined();
    expect(filterProblems({ createdFrom: '2026-02-29', updatedFrom: '2026-04-02', updatedTo: '2026-04-01' })).toEqual([
      'createdFrom "2026-02-29" is not a real date',
      'updatedFrom must not be after updatedTo',
    ]);
    expect(filterProblems({ updatedFrom: '2026-04-01', updatedTo: '2026-04-01' })).toEqual([]);
  });

  it('keeps dates within years 0001 to 9999 as PostgreSQL reads them: no year 0, even through an offset', () => {
    const pattern = new RegExp(FILTER_DATE_PATTERN);
    expect(pattern.test('0000-01-01')).toBe(false);
    expect(pattern.test('0001-01-01')).toBe(true);
    expect(filterBound('0001-01-01', 'from')?.toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(filterBound('0001-01-01T00:00+01:00', 'from')).toBeUndefined();
    expect(filterBound('9999-12-31T23:59:59.998Z', 'to')?.toISOString()).toBe('9999-12-31T23:59:59.999Z');
    expect(filterBound('9999-12-31', 'to')).toBeUndefined();
    expect(filterFromSearchParams(new URLSearchParams('createdFrom=0000-01-01&updatedFrom=0001-01-01'))).toEqual({
      updatedFrom: '0001-01-01',
    });
  });

  it('reads a cursor time only when PostgreSQL would: a real instant, not just the right shape', () => {
    expect(pgTimestampMs('2026-11-25 18:45:12.123456+00')).toBe(Date.parse('2026-11-25T18:45:12.123Z'));
    expect(pgTimestampMs('2026-11-25 18:45:12+05:30')).toBe(Date.parse('2026-11-25T18:45:12+05:30'));
    for (const bad of [
      '2026-13-45 99:99:99+00',
      '2026-02-30 10:00:00+00',
      '0000-06-01 00:00:00+00',
      '2026-01-01 10:00:00+99',
      '2026-01-01T10:00:00Z',
    ])
      expect({ bad, ms: pgTimestampMs(bad) }).toEqual({ bad, ms: undefined });
  });

  it('round-trips through query parameters and drops values that cannot be valid', () => {
    const filter: TaskFilter = {
      q: 'csv export',
      repo: 'acme/web',
      status: ['failed', 'cancelled'],
      priority: 'urgent',
      createdFrom: '2026-03-01',
    };
    expect(filterFromSearchParams(filterToSearchParams(filter))).toEqual(filter);
    expect(
      filterFromSearchParams(new URLSearchParams('status=bogus&priority=high&repo=x&creator=bob&agent=codex&createdTo=2026-13-40')),
    ).toEqual({ agent: 'codex' });
    expect(isEmptyFilter({ status: [], q: '' })).toBe(true);
    expect(isEmptyFilter({ repo: 'acme/web' })).toBe(false);
  });
});
