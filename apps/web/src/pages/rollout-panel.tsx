import { useCallback, useEffect, useRef, useState } from 'react';
import type { RolloutChangedResponse, RolloutGlobalBody, RolloutStateResponse } from '@taskflow/events';
import { api } from '../api/client';

type Override = RolloutStateResponse['users'][number]['override'];
type OrgOverride = RolloutStateResponse['orgs'][number]['override'];

const REASONS: Record<RolloutStateResponse['users'][number]['reason'], string> = {
  'kill-switch': 'switched off for everyone',
  'user-opt-out': 'opted out',
  'user-opt-in': 'opted in',
  'org-off': 'org off',
  'org-on': 'org on',
  percentage: 'percentage',
};
const PRESETS = [0, 10, 50, 100];
/** The panel asks at most this often: its live count is a cluster-wide question (the server reuses it for 10 s). */
const ROLLOUT_POLL_MS = 10_000;

/**
 * Rollout of live updates (docs/operations.md): who is live and who polls, changed here and applied to open pages
 * within seconds. An operator changes everything; an org's admin its org's override and its users (the kill switch
 * and the percentage are shown, not changeable).
 */
export function RolloutPanel({ pollMs }: { pollMs: number }) {
  const [view, setView] = useState<RolloutStateResponse | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [percent, setPercent] = useState('');
  const alive = useRef(true);
  /** A read under way: a timer tick then skips (a slow server must not pile requests up). */
  const loading = useRef(false);

  const load = useCallback(async () => {
    loading.current = true;
    try {
      const next = await api<RolloutStateResponse>('GET', '/api/admin/rollout');
      if (alive.current) setView(next);
    } catch (err) {
      if (alive.current) setNotice(`The rollout cannot be read right now: ${(err as Error).message}`);
    } finally {
      loading.current = false;
    }
  }, []);

  useEffect(() => {
    alive.current = true;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- load() sets state only after an await (a later task)
    void load();
    const timer = setInterval(
      () => {
        if (!loading.current) void load();
      },
      Math.max(pollMs, ROLLOUT_POLL_MS),
    );
    return () => {
      alive.current = false;
      clearInterval(timer);
    };
  }, [load, pollMs]);

  const change = async (what: string, path: string, body: RolloutGlobalBody | { live: Override | OrgOverride }) => {
    setBusy(true);
    try {
      const res = await api<RolloutChangedResponse>('PUT', path, body);
      setNotice(
        res.changes.length === 0 ? `${what}: already so` : `${what}: ${res.changes.map((c) => `${c.oldValue} → ${c.newValue}`).join(', ')}`,
      );
      await load();
    } catch (err) {
      setNotice(`${what} not changed: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  if (!view)
    return (
      <section className="card" aria-labelledby="rollout-title">
        <h2 id="rollout-title">Live updates rollout</h2>
        <p className="muted">{notice ?? 'Loading…'}</p>
      </section>
    );
  const operator = view.scope === 'cluster';
  const orgSlug = new Map(view.orgs.map((o) => [o.id, o.slug]));
  return (
    <section className="card rollout" aria-labelledby="rollout-title" data-testid="rollout-panel">
      <h2 id="rollout-title">Live updates rollout</h2>
      <p>
        <strong data-testid="rollout-live-count">{view.counts.live}</strong> {view.counts.live === 1 ? 'user' : 'users'} live,{' '}
        <strong data-testid="rollout-polling-count">{view.counts.polling}</strong> polling{' '}
        <span className="muted">(pages that asked in the last {view.counts.pollingWindowSeconds} s)</span>
      </p>
      <p className="muted">
        First rule that applies: switched off for everyone, a user&apos;s opt-out, opt-in, the org&apos;s setting, the percentage.
      </p>
      <div className="rollout-global">
        <label>
          <input
            type="checkbox"
            checked={view.enabled}
            disabled={!operator || busy}
            onChange={(e) => void change('Live updates', '/api/admin/rollout', { enabled: e.target.checked })}
          />{' '}
          Live updates on
        </label>{' '}
        <span data-testid="rollout-percent">{view.percent} %</span> of users
        {operator && (
          <span className="rollout-presets">
            {PRESETS.map((p) => (
              <button
                key={p}
                type="button"
                disabled={busy || view.percent === p}
                onClick={() => void change('Percentage', '/api/admin/rollout', { percent: p })}
              >
                {p} %
              </button>
            ))}
            <label>
              <span className="sr-only">Percentage of users</span>
              <input
                type="number"
                min={0}
                max={100}
                step={1}
                value={percent}
                placeholder="%"
                onChange={(e) => setPercent(e.target.value)}
              />
            </label>
            <button
              type="button"
              disabled={busy || percent === ''}
              onClick={() => void change('Percentage', '/api/admin/rollout', { percent: Number(percent) })}
            >
              Set
            </button>
          </span>
        )}
      </div>
      {notice && (
        <p role="status" data-testid="rollout-notice">
          {notice}
        </p>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Organisation</th>
              <th scope="col">Live updates</th>
            </tr>
          </thead>
          <tbody>
            {view.orgs.map((o) => (
              <tr key={o.id}>
                <th scope="row">{o.slug}</th>
                <td>
                  <select
                    aria-label={`Live updates for ${o.slug}`}
                    value={o.override}
                    disabled={busy}
                    onChange={(e) => void change(o.slug, `/api/admin/rollout/orgs/${o.id}`, { live: e.target.value as OrgOverride })}
                  >
                    <option value="inherit">By percentage</option>
                    <option value="on">On</option>
                    <option value="off">Off</option>
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">User</th>
              {operator && <th scope="col">Organisation</th>}
              <th scope="col">Opt-in / out</th>
              <th scope="col">Now</th>
            </tr>
          </thead>
          <tbody>
            {view.users.map((u) => (
              <tr key={u.id} data-testid="rollout-user">
                <th scope="row">{u.username}</th>
                {operator && <td>{orgSlug.get(u.orgId) ?? '–'}</td>}
                <td>
                  <select
                    aria-label={`Live updates for ${u.username}`}
                    value={u.override}
                    disabled={busy}
                    onChange={(e) => void change(u.username, `/api/admin/rollout/users/${u.id}`, { live: e.target.value as Override })}
                  >
                    <option value="inherit">As the org</option>
                    <option value="in">Opted in</option>
                    <option value="out">Opted out</option>
                  </select>
                </td>
                <td data-testid="rollout-user-now">
                  {u.live ? 'Live' : 'Polling'} <span className="muted">({REASONS[u.reason]})</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Latest changes</h3>
      {view.audit.length === 0 ? (
        <p className="muted">No changes yet.</p>
      ) : (
        <ul className="rollout-audit" data-testid="rollout-audit">
          {view.audit.slice(0, 10).map((a) => (
            <li key={a.id}>
              {new Date(a.at).toLocaleString()}: <strong>{a.actorUsername}</strong> set {a.setting}
              {a.setting === 'org' ? ` of ${orgSlug.get(a.subjectId ?? '') ?? 'an org'}` : ''}
              {a.setting === 'user' ? ` of ${view.users.find((u) => u.id === a.subjectId)?.username ?? 'a user'}` : ''}: {a.oldValue} →{' '}
              {a.newValue}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
