import { useCallback, useEffect, useRef, useState } from 'react';
import type { AdminOverview, AdminParkedJob, LagSummary, QueueName } from '@taskflow/events';
import { api, ApiError } from '../api/client';
import { NotFound } from '../components/not-found';
import { RolloutPanel } from './rollout-panel';
import { WebhookToScreenPanel } from './webhook-to-screen-panel';

/** How often the figures refresh: each node writes its snapshot about this often. */
const ADMIN_POLL_MS = 2000;

const ms = (v: number | null) => (v === null ? '–' : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`);
const lag = (l: LagSummary) => `${ms(l.p50Ms)} / ${ms(l.p99Ms)}`;
const total = (m: Record<string, number>) => Object.values(m).reduce((n, v) => n + v, 0);
const time = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString() : '–');

function ByKey({ title, counts, empty, testId }: { title: string; counts: Record<string, number>; empty: string; testId: string }) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return (
    <section className="card" aria-labelledby={`${testId}-title`} data-testid={testId}>
      <h2 id={`${testId}-title`}>{title}</h2>
      {entries.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <table>
          <tbody>
            {entries.map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * The operations view, live (refreshed every 2 s): to an operator the cluster and each node, queues and
 * parked jobs with their replay; to an org's admin the org's parked jobs only (scope `org`).
 */
export function AdminPage({ pollMs = ADMIN_POLL_MS }: { pollMs?: number }) {
  const [view, setView] = useState<AdminOverview | null>(null);
  const [state, setState] = useState<'loading' | 'ok' | 'stale' | 'hidden'>('loading');
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const alive = useRef(true);

  const load = useCallback(async () => {
    try {
      const next = await api<AdminOverview>('GET', '/api/admin/overview');
      if (!alive.current) return;
      setView(next);
      setState('ok');
    } catch (err) {
      if (!alive.current) return;
      // A non-admin (or a demoted admin) is told nothing more than "not found".
      setState(err instanceof ApiError && err.status === 404 ? 'hidden' : 'stale');
    }
  }, []);

  useEffect(() => {
    alive.current = true;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- load() sets state only after an await (a later task)
    void load();
    const timer = setInterval(() => void load(), pollMs);
    return () => {
      alive.current = false;
      clearInterval(timer);
    };
  }, [load, pollMs]);

  const replay = async (queue: QueueName, job?: AdminParkedJob) => {
    const key = job ? `${queue}/${job.id}` : queue;
    setBusy(key);
    try {
      const res = await api<{ replayed: unknown[] }>('POST', '/api/admin/jobs/retry', job ? { queue, id: job.id } : { queue });
      setNotice(`${res.replayed.length} job${res.replayed.length === 1 ? '' : 's'} replayed from ${queue}`);
      await load();
    } catch (err) {
      setNotice(`Nothing replayed: ${(err as Error).message}`);
    } finally {
      setBusy(null);
    }
  };

  if (state === 'hidden') return <NotFound />;
  if (!view) {
    return (
      <main className="page">
        <h1>Operations</h1>
        <p aria-busy={state === 'loading'} role={state === 'stale' ? 'alert' : undefined}>
          {state === 'loading' ? 'Loading…' : 'The operations figures cannot be read right now; retrying.'}
        </p>
      </main>
    );
  }
  const c = view.cluster;
  return (
    <main className="page admin-page">
      <h1>Operations</h1>
      <p className="muted" data-testid="admin-updated">
        {state === 'stale' ? 'Not updating (the server did not answer); retrying. ' : 'Live, every 2 s. '}
        Updated {time(view.generatedAt)}.
      </p>
      {c === null ? (
        <>
          <p data-testid="admin-org-scope">
            Your organisation&apos;s parked jobs: <strong data-testid="admin-org-parked">{view.parkedTotal ?? '–'}</strong>. Nodes, queue
            depths and webhook deliveries are shown to cluster operators.
          </p>
          <ParkedJobs view={view} notice={notice} busy={busy} replay={replay} />
          <RolloutPanel pollMs={pollMs} />
        </>
      ) : (
        <>
          <section className="counts" aria-label="Cluster">
            <div className="count">
              <strong data-testid="admin-cluster-nodes">{c.nodes}</strong> nodes
            </div>
            <div className="count">
              <strong data-testid="admin-cluster-sockets">{c.sockets}</strong> connected sockets
            </div>
            <div className="count">
              <strong data-testid="admin-cluster-rate">{c.messagesPerSecond}</strong> messages/s
            </div>
            <div className="count">
              <strong data-testid="admin-cluster-lag">{lag(c.lag)}</strong> lag p50 / p99 (last minute)
            </div>
            <div className="count">
              <strong data-testid="admin-cluster-errors">{total(c.errors)}</strong> socket errors
            </div>
            <div className="count">
              <strong data-testid="admin-cluster-parked">{view.parkedTotal ?? '–'}</strong> parked jobs
            </div>
          </section>

          <section className="card" aria-labelledby="admin-nodes-title">
            <h2 id="admin-nodes-title">Nodes</h2>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Node</th>
                    <th scope="col">Sockets</th>
                    <th scope="col">Messages/s</th>
                    <th scope="col">Lag p50 / p99</th>
                    <th scope="col">Errors</th>
                    <th scope="col">Webhooks ignored</th>
                    <th scope="col">Up since</th>
                    <th scope="col">Snapshot</th>
                  </tr>
                </thead>
                <tbody>
                  {view.nodes.map((n) => (
                    <tr key={n.nodeId} data-testid="admin-node">
                      <th scope="row">{n.nodeId}</th>
                      <td data-testid="admin-node-sockets">{n.sockets}</td>
                      <td>{n.messagesPerSecond}</td>
                      <td>
                        {lag(n.lag)} <span className="muted">({n.lag.count})</span>
                      </td>
                      <td>{total(n.errors)}</td>
                      <td>{total(n.webhooksIgnored)}</td>
                      <td>{time(n.startedAt)}</td>
                      <td>{time(n.at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>

          <div className="admin-grid">
            <ByKey title="Socket errors by code" counts={c.errors} empty="No errors." testId="admin-errors" />
            <ByKey
              title="Webhook deliveries ignored"
              counts={view.webhooks.ignored}
              empty="None ignored."
              testId="admin-webhooks-ignored"
            />
          </div>

          <WebhookToScreenPanel histogram={view.webhooks.toScreen} broadcast={view.webhooks.toBroadcast} />

          <section className="card" aria-labelledby="admin-queues-title">
            <h2 id="admin-queues-title">Queues</h2>
            {view.queues === null ? (
              <p role="alert">The queues cannot be read right now (Redis).</p>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Queue</th>
                      <th scope="col">Waiting</th>
                      <th scope="col">Running</th>
                      <th scope="col">Backing off</th>
                      <th scope="col">Parked</th>
                      <th scope="col">
                        <span className="sr-only">Replay</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {(Object.entries(view.queues) as Array<[QueueName, NonNullable<AdminOverview['queues']>[QueueName]]>).map(
                      ([name, q]) => (
                        <tr key={name} data-testid="admin-queue">
                          <th scope="row">{name}</th>
                          <td>{q.waiting + q.prioritized}</td>
                          <td>{q.active}</td>
                          <td>{q.delayed}</td>
                          <td data-testid="admin-queue-failed">{q.failed}</td>
                          <td>
                            <button
                              type="button"
                              disabled={q.failed === 0 || busy !== null}
                              onClick={() => void replay(name)}
                              aria-label={`Replay all parked jobs of ${name}`}
                            >
                              Replay all
                            </button>
                          </td>
                        </tr>
                      ),
                    )}
                  </tbody>
                </table>
              </div>
            )}
            <p className="muted">
              Failed webhook deliveries (parked): <strong data-testid="admin-webhooks-failed">{view.webhooks.failed ?? '–'}</strong>
            </p>
          </section>

          <ParkedJobs view={view} notice={notice} busy={busy} replay={replay} />
          <RolloutPanel pollMs={pollMs} />
        </>
      )}
    </main>
  );
}

/** The parked jobs with their replay (one job); an operator also replays a whole queue above. */
function ParkedJobs({
  view,
  notice,
  busy,
  replay,
}: {
  view: AdminOverview;
  notice: string | null;
  busy: string | null;
  replay: (queue: QueueName, job?: AdminParkedJob) => Promise<void>;
}) {
  return (
    <section className="card" aria-labelledby="admin-parked-title">
      <h2 id="admin-parked-title">Parked jobs</h2>
      <div role="status" aria-live="polite">
        {notice}
      </div>
      {view.parked.length === 0 ? (
        <p className="muted">No parked jobs.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Queue</th>
                <th scope="col">Job</th>
                <th scope="col">Attempts</th>
                <th scope="col">Reason</th>
                <th scope="col">Parked at</th>
                <th scope="col">
                  <span className="sr-only">Replay</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {view.parked.map((j) => (
                <tr key={`${j.queue}/${j.id}`} data-testid="admin-parked-job">
                  <td>{j.queue}</td>
                  <th scope="row">
                    {j.name} {j.id}
                  </th>
                  <td>{j.attemptsMade}</td>
                  <td>{j.failedReason}</td>
                  <td>{time(j.failedAt)}</td>
                  <td>
                    <button
                      type="button"
                      disabled={busy !== null}
                      onClick={() => void replay(j.queue, j)}
                      aria-label={`Replay job ${j.id}`}
                    >
                      Replay
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
