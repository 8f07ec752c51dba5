import { useMemo, useState } from 'react';
import { isEmptyFilter, statusGroup, type DashboardTask } from '@taskflow/events';
import { useSession } from '../auth/session';
import { CreateTaskForm } from '../components/create-task-form';
import { useTaskChangeAnnouncer } from '../components/live-announcer';
import { RelativeTime } from '../components/relative-time';
import { PrBadges } from '../components/pr-badges';
import { StatusBadge } from '../components/status-badge';
import { TaskFilters } from '../components/task-filters';
import { usePulse } from '../components/use-pulse';
import { useRepositories } from '../config/app-config';
import { useFilteredDashboard } from '../realtime/use-filtered-dashboard';
import { useUrlFilter } from '../realtime/use-url-filter';
import { useDashboardSubscription } from '../realtime/use-dashboard-subscription';
import { sortByUpdate } from '@taskflow/client';
import { navigate } from '../router';
import { LEGEND } from '../status-style';

const PAGE = 200;

/** A row changed live (`fresh` when it appears, e.g. moved to another section) flashes on each status change. */
function TaskRow({ row, fresh }: { row: DashboardTask; fresh: boolean }) {
  const pulse = usePulse(row.status, fresh);
  return (
    <li className="task-row" data-task-id={row.taskId} data-status={row.status} data-pulse={pulse}>
      <a
        href={`/tasks/${row.taskId}`}
        onClick={(e) => {
          e.preventDefault();
          navigate(`/tasks/${row.taskId}`);
        }}
      >
        <span className="title">
          {row.priority === 'urgent' && <span className="urgent">Urgent</span>}
          {row.title}
          {row.isPrivate && <span className="private">Private</span>}
        </span>
        <span className="meta">
          created by @{row.createdBy.username} · <RelativeTime iso={row.createdAt} /> · {row.repo}
        </span>
      </a>
      <span className="row-links">
        {row.githubIssueUrl && (
          <a href={row.githubIssueUrl} target="_blank" rel="noopener noreferrer" data-testid="row-issue-link">
            Issue
          </a>
        )}
        {row.prUrl && (
          <a href={row.prUrl} target="_blank" rel="noopener noreferrer" data-testid="row-pr-link">
            PR
          </a>
        )}
      </span>
      <PrBadges prState={row.prState} reviewState={row.reviewState} checksState={row.checksState} />
      <StatusBadge status={row.status} prState={row.prState} fresh={fresh} />
    </li>
  );
}

/** The org's tasks, live: counts, filters, active / failed / completed sections. */
export function DashboardPage() {
  const { session } = useSession();
  const live = useDashboardSubscription();
  const repos = useRepositories();
  // Filters are searched on the server and kept in the address; without one, the live org view as before.
  const [filter, setFilter] = useUrlFilter();
  const filtered = useFilteredDashboard(filter, !isEmptyFilter(filter));
  const { rows, counts, nextCursor, loadMore } = filtered ?? live;
  const { fresh } = live;
  useTaskChangeAnnouncer(rows.values());
  const [creating, setCreating] = useState(false);
  const [limit, setLimit] = useState(PAGE);

  const creators = useMemo(
    () => [...new Map([...live.rows.values(), ...rows.values()].map((r) => [r.createdBy.id, r.createdBy])).values()],
    [live.rows, rows],
  );
  const visible = useMemo(() => sortByUpdate(rows.values()), [rows]);
  const sections = {
    active: visible.filter((r) => statusGroup(r.status) === 'active'),
    failed: visible.filter((r) => statusGroup(r.status) === 'failed'),
    completed: visible.filter((r) => statusGroup(r.status) === 'completed'),
  };

  return (
    <main className="page">
      <h1 className="sr-only">Tasks</h1>
      <section className="counts" aria-label="Task counts">
        <div className="count" data-testid="count-active">
          <strong>{counts?.activeCount ?? '–'}</strong> active
        </div>
        <div className="count" data-testid="count-completed">
          <strong>{counts?.completedCount ?? '–'}</strong> completed
        </div>
        <div className="count" data-testid="count-failed">
          <strong>{counts?.failedCount ?? '–'}</strong> failed
        </div>
        <button className="primary" onClick={() => setCreating(true)}>
          New task
        </button>
      </section>
      {creating && (
        <CreateTaskForm
          onCancel={() => setCreating(false)}
          onCreated={(id) => {
            setCreating(false);
            navigate(`/tasks/${id}`);
          }}
        />
      )}
      <TaskFilters filter={filter} onChange={setFilter} me={session?.user.id} creators={creators} repos={repos} error={filtered?.error} />
      {(['active', 'failed', 'completed'] as const).map((name) => (
        <section key={name} className="card list" aria-label={`${name} tasks`}>
          <h2>
            {name[0]!.toUpperCase() + name.slice(1)} <span className="muted">({sections[name].length})</span>
          </h2>
          {sections[name].length === 0 ? (
            <p className="muted">Nothing here.</p>
          ) : (
            <ul data-section={name}>
              {sections[name].slice(0, limit).map((row) => (
                <TaskRow key={row.taskId} row={row} fresh={fresh.has(row.taskId)} />
              ))}
            </ul>
          )}
          {sections[name].length > limit && <button onClick={() => setLimit((l) => l + PAGE)}>Show more</button>}
        </section>
      ))}
      {nextCursor && (
        <button className="load-more" onClick={() => void loadMore()}>
          Load older tasks
        </button>
      )}
      <footer className="legend" aria-label="Status legend">
        {LEGEND.map((l) => (
          <span key={l.status}>
            <span className="swatch" style={{ background: l.colour }} aria-hidden="true" /> {l.label}
          </span>
        ))}
      </footer>
    </main>
  );
}
