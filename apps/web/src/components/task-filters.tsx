import { useEffect, useId, useState } from 'react';
import {
  CODING_AGENTS,
  PRIORITIES,
  TASK_STATUSES,
  isEmptyFilter,
  type PublicUser,
  type TaskFilter,
  type TaskStatus,
} from '@taskflow/events';

export interface TaskFiltersProps {
  filter: TaskFilter;
  onChange(next: TaskFilter): void;
  /** The viewer: "My tasks" is the filter on their own id. */
  me: string | undefined;
  creators: PublicUser[];
  repos: string[];
  /** Why the server refused the filter, if it did. */
  error?: string | null;
}

const SEARCH_DEBOUNCE_MS = 350;

/** The dashboard's search and filter bar; every control narrows the server-side query. */
export function TaskFilters({ filter, onChange, me, creators, repos, error }: TaskFiltersProps) {
  const [text, setText] = useState(filter.q ?? '');
  // The address may change under us (back/forward, a pasted link): follow it, in the same render.
  const [followedQ, setFollowedQ] = useState(filter.q);
  if (filter.q !== followedQ) {
    setFollowedQ(filter.q);
    setText(filter.q ?? '');
  }
  useEffect(() => {
    if ((filter.q ?? '') === text.trim()) return;
    const timer = setTimeout(() => onChange({ ...filter, q: text.trim() || undefined }), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, filter, onChange]);

  const set = <K extends keyof TaskFilter>(key: K, value: TaskFilter[K] | '') =>
    onChange({ ...filter, [key]: value === '' ? undefined : value });
  const toggleStatus = (status: TaskStatus, on: boolean) => {
    const current = new Set(filter.status ?? []);
    if (on) current.add(status);
    else current.delete(status);
    set('status', current.size ? TASK_STATUSES.filter((s) => current.has(s)) : undefined);
  };
  const mine = !!me && filter.creator === me;
  const scopeCaption = useId();

  return (
    <section className="filters" aria-label="Filters">
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          onChange({ ...filter, q: text.trim() || undefined });
        }}
      >
        <label>
          Search
          <input type="search" value={text} maxLength={200} placeholder="title or description" onChange={(e) => setText(e.target.value)} />
        </label>
      </form>
      <div className="filter-field">
        <span className="filter-caption" id={scopeCaption}>
          Scope
        </span>
        <div role="group" aria-labelledby={scopeCaption} className="segmented">
          <button type="button" aria-pressed={!mine} onClick={() => set('creator', undefined)}>
            All
          </button>
          <button type="button" aria-pressed={mine} onClick={() => set('creator', me)}>
            My tasks
          </button>
        </div>
      </div>
      <label>
        Repository
        <select value={filter.repo ?? ''} onChange={(e) => set('repo', e.target.value)}>
          <option value="">any</option>
          {[...new Set([...repos, ...(filter.repo ? [filter.repo] : [])])].map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </label>
      {/* Opens in the flow, pushing the list down: a panel over the rows would half-cover their links. */}
      <details className="status-filter filter-field">
        <summary>
          <span className="filter-caption">Status</span>
          <span className="status-filter-value">{filter.status?.length ? `${filter.status.length} selected` : 'any'}</span>
        </summary>
        <fieldset>
          <legend className="sr-only">Status</legend>
          {TASK_STATUSES.map((s) => (
            <label key={s}>
              <input type="checkbox" checked={filter.status?.includes(s) ?? false} onChange={(e) => toggleStatus(s, e.target.checked)} />{' '}
              {s}
            </label>
          ))}
        </fieldset>
      </details>
      <label>
        Priority
        <select value={filter.priority ?? ''} onChange={(e) => set('priority', e.target.value as TaskFilter['priority'] | '')}>
          <option value="">any</option>
          {PRIORITIES.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      <label>
        Agent
        <select value={filter.agent ?? ''} onChange={(e) => set('agent', e.target.value as TaskFilter['agent'] | '')}>
          <option value="">any</option>
          {CODING_AGENTS.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
      </label>
      <label>
        Creator
        <select value={filter.creator ?? ''} onChange={(e) => set('creator', e.target.value)}>
          <option value="">anyone</option>
          {creators.map((c) => (
            <option key={c.id} value={c.id}>
              @{c.username}
            </option>
          ))}
        </select>
      </label>
      {(
        [
          ['createdFrom', 'Created from'],
          ['createdTo', 'Created to'],
          ['updatedFrom', 'Updated from'],
          ['updatedTo', 'Updated to'],
        ] as const
      ).map(([key, label]) => (
        <label key={key}>
          {label}
          <input type="date" value={filter[key]?.slice(0, 10) ?? ''} onChange={(e) => set(key, e.target.value)} />
        </label>
      ))}
      {!isEmptyFilter(filter) && (
        <button type="button" onClick={() => onChange({})}>
          Clear filters
        </button>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
