import { useEffect, useState } from 'react';
import { TASK_STATUSES, type StatsGroup, type TaskStats } from '@taskflow/events';
import { api } from '../api/client';
import { useWebSocket } from '../realtime/socket';
import { STATUS_COLOURS, STATUS_LABELS } from '../status-style';
import { throttledReload } from '@taskflow/client';

/** Live stats refresh at most this often: longer than the server caches them (STATS_CACHE_MS, 5 s by default). */
const STATS_MIN_INTERVAL_MS = 6000;

type Group = StatsGroup;
type Stats = TaskStats;

const pct = (x: number | null) => (x === null ? '–' : `${Math.round(x * 100)} %`);
const dur = (s: number | null) =>
  s === null ? '–' : s < 120 ? `${Math.round(s)} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;

/** Tasks by status as a bar chart (text labels too: colour is never the only cue). */
function StatusChart({ byStatus }: { byStatus: Record<string, number> }) {
  const max = Math.max(1, ...Object.values(byStatus));
  return (
    <svg viewBox={`0 0 400 ${TASK_STATUSES.length * 26}`} role="img" aria-label="Tasks by status" className="chart">
      {TASK_STATUSES.map((s, i) => {
        const n = byStatus[s] ?? 0;
        return (
          <g key={s} transform={`translate(0 ${i * 26})`}>
            <text x="0" y="17" fontSize="12">
              {STATUS_LABELS[s]}
            </text>
            <rect x="140" y="4" height="16" rx="3" width={(n / max) * 220} fill={STATUS_COLOURS[s]} />
            <text x={146 + (n / max) * 220} y="17" fontSize="12">
              {n}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function Table({ title, groups }: { title: string; groups: Group[] }) {
  return (
    <section className="card">
      <h2>{title}</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{title.split(' ').pop()}</th>
              <th scope="col">Tasks</th>
              <th scope="col">Success</th>
              <th scope="col">Failure</th>
              <th scope="col">Clarified</th>
              <th scope="col">To PR (median / p95)</th>
              <th scope="col">To merge (median / p95)</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={g.key}>
                <th scope="row">{g.key}</th>
                <td>{g.total}</td>
                <td>{pct(g.successRate)}</td>
                <td>{pct(g.failureRate)}</td>
                <td>{pct(g.clarificationRate)}</td>
                <td>
                  {dur(g.medianSecondsToPr)} / {dur(g.p95SecondsToPr)}
                </td>
                <td>
                  {dur(g.medianSecondsToMerge)} / {dur(g.p95SecondsToMerge)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** Pipeline statistics, refreshed when tasks of the org change (at most every 6 s) and every 30 s. */
export function StatsPage() {
  const { client } = useWebSocket();
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = () => {
      reloads.ran();
      void api<Stats>('GET', '/api/stats').then(setStats, (err: Error) => setError(err.message));
    };
    // Not on every event: a busy org changes tasks many times a second.
    const reloads = throttledReload(load, { delayMs: 300, minIntervalMs: STATS_MIN_INTERVAL_MS });
    const soon = () => reloads.changed();
    load();
    const timer = setInterval(load, 30_000);
    // Holding the dashboard room (joined on every connect, left with the last holder) brings its row changes.
    const stopRows = client?.on('dashboard:task_list_updated', soon);
    const release = client?.dashboardRoom?.hold();
    return () => {
      clearInterval(timer);
      reloads.cancel();
      stopRows?.();
      release?.();
    };
  }, [client]);
  if (error)
    return (
      <main className="page">
        <p role="alert">{error}</p>
      </main>
    );
  if (!stats)
    return (
      <main className="page">
        <p aria-busy="true">Loading…</p>
      </main>
    );
  const o = stats.overall;
  return (
    <main className="page">
      <h1 className="sr-only">Stats</h1>
      <section className="counts" aria-label="Rates">
        <div className="count">
          <strong data-testid="stat-total">{o.total}</strong> tasks
        </div>
        <div className="count">
          <strong>{pct(o.successRate)}</strong> success
        </div>
        <div className="count">
          <strong>{pct(o.failureRate)}</strong> failure
        </div>
        <div className="count">
          <strong>{pct(o.clarificationRate)}</strong> needed clarification
        </div>
        <div className="count">
          <strong>{dur(o.medianSecondsToPr)}</strong> median to PR (p95 {dur(o.p95SecondsToPr)})
        </div>
        <div className="count">
          <strong>{dur(o.medianSecondsToMerge)}</strong> median to merge (p95 {dur(o.p95SecondsToMerge)})
        </div>
      </section>
      <section className="card">
        <h2>Tasks by status</h2>
        <StatusChart byStatus={o.byStatus} />
      </section>
      <Table title="By repository" groups={stats.byRepo} />
      <Table title="By agent" groups={stats.byAgent} />
    </main>
  );
}
