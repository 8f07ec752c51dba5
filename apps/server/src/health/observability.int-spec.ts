import fs from 'node:fs';
import path from 'node:path';
import { startTestApp, type TestApp } from '../testing/test-app';

/**
 * deploy/observability (the Grafana dashboard, the alert rules) and the socket autoscaling read only series a
 * server node exports: every `taskflow_…` name they mention is checked against a real node's /metrics.
 */
const REPO_ROOT = path.resolve(__dirname, '../../../..');
const FILES = [
  'deploy/observability/grafana-dashboard.json',
  'deploy/observability/taskflow-alerts.rules.yml',
  'deploy/observability/prometheus-rule.yaml',
  'deploy/observability/prometheus-adapter-values.yaml',
  'deploy/kubernetes/components/socket-autoscaling/kustomization.yaml',
];
const read = (rel: string) => fs.readFileSync(path.join(REPO_ROOT, rel), 'utf8');

let t: TestApp;
let exported: Set<string>;
beforeAll(async () => {
  t = await startTestApp();
  await t.app.ready();
  exported = seriesNames(await t.metricsText());
});
afterAll(() => t.close());

/** The series names a Prometheus exposition declares, histograms and summaries expanded to what PromQL reads. */
function seriesNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name = '', type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/** Metric names mentioned in a file (PromQL, prometheus-adapter rules, comments alike). */
const mentioned = (text: string) => new Set([...text.matchAll(/\btaskflow_[a-z0-9_]*[a-z0-9]\b/g)].map((m) => m[0]));

describe('deploy/observability', () => {
  it.each(FILES)('%s mentions only metrics a server node exports', (file) => {
    const names = [...mentioned(read(file))];
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !exported.has(n))).toEqual([]);
  });

  /** The figures issue 22 asks the dashboard and the alerts to cover, each as the PromQL that reads it. */
  const FIGURES: Record<string, RegExp> = {
    'sockets per node': /taskflow_socket_connections\b/,
    'delivery lag p99': /histogram_quantile\(0\.99, sum by \(le(, pod)?\) \(rate\(taskflow_publish_lag_seconds_bucket/,
    'outbox backlog': /taskflow_outbox_(unpublished_events|oldest_unpublished_seconds)\b/,
    'parked jobs': /taskflow_jobs\{[^}]*state="failed"/,
    'event-loop lag': /taskflow_server_nodejs_eventloop_lag_p99_seconds\b/,
    'webhook failures': /taskflow_webhook_deliveries_failed_total\b/,
    'ignored deliveries': /taskflow_webhook_deliveries_ignored_total\b/,
  };

  it('has a dashboard panel and an alert rule for each figure that matters', () => {
    const dashboard = JSON.parse(read('deploy/observability/grafana-dashboard.json')) as {
      panels: Array<{ id: number; title: string; type: string; targets?: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => target.expr));
    const rules = [...read('deploy/observability/taskflow-alerts.rules.yml').matchAll(/^\s+expr: (.+)$/gm)].map((m) => m[1] ?? '');
    const uncovered = Object.entries(FIGURES).flatMap(([figure, promql]) => [
      ...(exprs.some((e) => promql.test(e)) ? [] : [`dashboard: ${figure}`]),
      ...(rules.some((e) => promql.test(e)) ? [] : [`alerts: ${figure}`]),
    ]);
    expect(uncovered).toEqual([]);
    // Every panel that draws something has a query; ids are unique (Grafana keys panels by them).
    expect(dashboard.panels.filter((p) => p.type !== 'row' && !p.targets?.length).map((p) => p.title)).toEqual([]);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
  });
});
