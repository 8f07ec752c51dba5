import type { WebhookToScreen } from '@taskflow/events';

const ms = (v: number | null) => (v === null ? '–' : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`);
/** A bucket's range as a person reads it: "≤ 250 ms", "> 10 s" for the last. */
const bound = (leMs: number | null, previousMs: number | null) => (leMs === null ? `> ${ms(previousMs)}` : `≤ ${ms(leMs)}`);

/**
 * GitHub webhook → the change on screen (story 2: a PR link within 1 s), every node since it started: p50 / p99 and
 * a bar per histogram bucket, as browsers reported painting it (`task:shown`); below, the server's part (→ the
 * sockets). The bars are drawn beside the numbers, which stay the accessible figures.
 */
export function WebhookToScreenPanel({ histogram, broadcast }: { histogram: WebhookToScreen | null; broadcast: WebhookToScreen | null }) {
  if (!histogram) return null;
  const max = Math.max(1, ...histogram.buckets.map((b) => b.count));
  return (
    <section className="card" aria-labelledby="admin-webhook-screen-title" data-testid="admin-webhook-to-screen">
      <h2 id="admin-webhook-screen-title">Webhook to screen</h2>
      <p>
        <strong data-testid="admin-webhook-to-screen-p">
          {ms(histogram.p50Ms)} / {ms(histogram.p99Ms)}
        </strong>{' '}
        p50 / p99 over {histogram.count} {histogram.count === 1 ? 'delivery' : 'deliveries'}{' '}
        <span className="muted">
          (GitHub’s request reaching us → its timeline event painted on a task page, as browsers report it; target under 1 s)
        </span>
      </p>
      {broadcast && broadcast.count > 0 && (
        <p className="muted" data-testid="admin-webhook-to-broadcast-p">
          The server’s part alone (→ the sockets): {ms(broadcast.p50Ms)} / {ms(broadcast.p99Ms)} p50 / p99 over {broadcast.count}{' '}
          {broadcast.count === 1 ? 'delivery' : 'deliveries'}
        </p>
      )}
      {histogram.count === 0 ? (
        <p className="muted">No browser has reported a webhook’s change on screen since the nodes started.</p>
      ) : (
        <table className="histogram">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Deliveries</th>
              <th scope="col">
                <span className="sr-only">Share</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {histogram.buckets.map((b, i) => (
              <tr key={b.leMs ?? 'inf'} data-testid="admin-webhook-to-screen-bucket">
                <th scope="row">{bound(b.leMs, histogram.buckets[i - 1]?.leMs ?? null)}</th>
                <td>{b.count}</td>
                <td aria-hidden="true">
                  <span
                    className="bar"
                    style={{ display: 'inline-block', height: '0.8em', background: 'currentColor', width: `${(b.count / max) * 10}em` }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
