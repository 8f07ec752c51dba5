import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './config';

/**
 * deploy/kubernetes rendered by `kubectl kustomize` (each overlay), every object checked against the Kubernetes
 * OpenAPI schemas (kubernetes-models), and the deployment's invariants: probes, resources, non-root, secrets only by
 * reference, a PDB over every Deployment, a drain that fits the grace period, network isolation, and environments
 * the apps' own config parsers accept.
 */
const KUSTOMIZE_ROOT = path.join(REPO_ROOT, 'deploy/kubernetes');
const OVERLAYS = ['dev', 'production'] as const;

/** Rendered manifests are untyped JSON, checked field by field. */
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };
type Container = { name: string; command?: string[]; env?: any[]; envFrom?: any[]; [k: string]: any };

function kubectl(args: string[]): string {
  try {
    return execFileSync('kubectl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('kubectl is not installed (not on PATH): the Kubernetes manifests cannot be rendered or checked here');
    }
    throw new Error(`kubectl ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
}

function render(overlay: string): K8sObject[] {
  const out = kubectl(['kustomize', path.join(KUSTOMIZE_ROOT, 'overlays', overlay)]);
  return parseAllDocuments(out)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`${overlay}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJSON() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** The environment schemas and parsers the apps start with (apps are not importable from a library by name). */
interface AppConfig {
  schema: { properties: Record<string, unknown> };
  load: (env: NodeJS.ProcessEnv) => unknown;
}
const serverConfig = jest.requireActual<Record<string, any>>(path.join(REPO_ROOT, 'apps/server/src/config.ts'));
const workerConfig = jest.requireActual<Record<string, any>>(path.join(REPO_ROOT, 'apps/worker/src/config.ts'));
/** The entry point a container runs (infra/docker/Dockerfile builds them) → the configuration it parses. */
const CONFIG_OF: Record<string, AppConfig> = {
  'apps/server/dist/main.js': { schema: serverConfig.ServerEnvSchema, load: serverConfig.loadServerConfig },
  'apps/server/dist/migrate.js': { schema: serverConfig.MigrateEnvSchema, load: serverConfig.loadMigrateConfig },
  'apps/worker/dist/main.js': { schema: workerConfig.WorkerEnvSchema, load: workerConfig.loadWorkerConfig },
};
/** Read by Node itself, not by the apps' parsers. */
const RUNTIME_ENV = new Set(['NODE_OPTIONS']);
/** Stand-ins for the values the Secret provides, shaped as the schemas require. */
const SECRET_STAND_INS: Record<string, string> = {
  DATABASE_URL: 'postgres://taskflow:stand-in@postgres.example:5432/taskflow',
  REDIS_URL: 'redis://:stand-in-password@redis.example:6379',
  JWT_SECRET: 'x'.repeat(48),
  GITHUB_WEBHOOK_SECRET: 'y'.repeat(24),
  LLM_API_KEY: 'stand-in',
  GITHUB_TOKEN: 'stand-in',
  POSTGRES_PASSWORD: 'stand-in',
  REDIS_PASSWORD: 'stand-in',
};
/** Names whose value is a credential: they may only come from a Secret. */
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|API_KEY|^(DATABASE|REDIS)_URL$|^REDISCLI_AUTH$/;

const rendered = new Map<string, K8sObject[]>();
beforeAll(() => {
  for (const overlay of OVERLAYS) rendered.set(overlay, render(overlay));
});

const objects = (overlay: string) => rendered.get(overlay) ?? [];
const ofKind = (overlay: string, kind: string) => objects(overlay).filter((o) => o.kind === kind);
const find = (overlay: string, kind: string, name: string) => {
  const o = objects(overlay).find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${overlay}: no ${kind} ${name}`);
  return o;
};
const workloads = (overlay: string) => objects(overlay).filter((o) => ['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(o.kind));
const podSpec = (w: K8sObject) => w.spec.template.spec;
const allContainers = (w: K8sObject): Container[] => [...(podSpec(w).initContainers ?? []), ...podSpec(w).containers];
const entryOf = (c: Container) => (c.command ?? []).find((part) => part.startsWith('apps/'));
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The container's environment as the app would see it, with stand-ins for what the Secret and the API provide. */
function environmentOf(overlay: string, c: Container): { env: Record<string, string>; fromSecret: string[] } {
  const env: Record<string, string> = {};
  const fromSecret: string[] = [];
  for (const source of c.envFrom ?? []) {
    if (source.secretRef) throw new Error(`${c.name}: envFrom a whole Secret hides which variables it sets; name each one`);
    Object.assign(env, find(overlay, 'ConfigMap', source.configMapRef.name).data);
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.secretKeyRef) {
      fromSecret.push(e.name);
      if (!e.valueFrom.secretKeyRef.optional) env[e.name] = SECRET_STAND_INS[e.name] ?? 'stand-in';
    } else if (e.valueFrom?.fieldRef) env[e.name] = 'taskflow-pod-0';
    else env[e.name] = String(e.value);
  }
  return { env, fromSecret };
}

describe.each(OVERLAYS)('deploy/kubernetes/overlays/%s', (overlay) => {
  it('renders with kubectl kustomize into the objects a deployment needs', () => {
    const kinds = new Set(objects(overlay).map((o) => `${o.kind}/${o.metadata.name}`));
    for (const needed of [
      'Deployment/taskflow-server',
      'Deployment/taskflow-worker',
      'Service/taskflow-server',
      'Ingress/taskflow',
      'PodDisruptionBudget/taskflow-server',
      'PodDisruptionBudget/taskflow-worker',
      'HorizontalPodAutoscaler/taskflow-server',
      'HorizontalPodAutoscaler/taskflow-worker',
      'NetworkPolicy/taskflow-default-deny',
    ]) {
      expect(kinds).toContain(needed);
    }
    expect(new Set(objects(overlay).map((o) => o.metadata.namespace))).toEqual(new Set([overlay === 'dev' ? 'taskflow-dev' : 'taskflow']));
  });

  it('validates every object against the Kubernetes OpenAPI schemas', () => {
    if (!isInstalled('kubernetes-models')) throw new Error(`kubernetes-models is not installed: ${MODELS_INSTALL}`);
    const failures = objects(overlay).flatMap((o) => {
      try {
        validateAgainstSchema(o);
        return [];
      } catch (err) {
        return [`${o.kind}/${o.metadata.name}: ${(err as Error).message}`];
      }
    });
    expect(failures).toEqual([]);
  });

  it('gives every long-running container readiness and liveness probes, and every container requests and limits', () => {
    const problems: string[] = [];
    for (const w of workloads(overlay)) {
      for (const c of podSpec(w).containers as Container[]) {
        if (!c.readinessProbe) problems.push(`${w.metadata.name}/${c.name}: no readinessProbe`);
        if (!c.livenessProbe) problems.push(`${w.metadata.name}/${c.name}: no livenessProbe`);
      }
      for (const c of allContainers(w)) {
        for (const kind of ['requests', 'limits'] as const) {
          for (const resource of ['cpu', 'memory']) {
            if (!c.resources?.[kind]?.[resource]) problems.push(`${w.metadata.name}/${c.name}: no ${resource} ${kind}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('probes the server for readiness on /api/ready and for liveness elsewhere, and the worker through its heartbeat', () => {
    const server = podSpec(find(overlay, 'Deployment', 'taskflow-server')).containers[0] as Container;
    expect(server.readinessProbe.httpGet).toMatchObject({ path: '/api/ready', port: 'http' });
    // A database outage fails /api/ready on every pod; liveness must not restart them all for it.
    expect(server.livenessProbe.httpGet).toMatchObject({ path: '/live', port: 'metrics' });
    const metricsPort = server.ports.find((p: any) => p.name === 'metrics').containerPort;
    expect(String(environmentOf(overlay, server).env.METRICS_PORT)).toBe(String(metricsPort));
    expect(environmentOf(overlay, server).env.METRICS_HOST).toBe('0.0.0.0');
    const worker = podSpec(find(overlay, 'Deployment', 'taskflow-worker')).containers[0] as Container;
    const heartbeat = environmentOf(overlay, worker).env.HEARTBEAT_FILE;
    expect(heartbeat).toMatch(/^\/tmp\//);
    expect(worker.readinessProbe.exec.command.join(' ')).toContain('$HEARTBEAT_FILE');
    expect(worker.livenessProbe.exec.command.join(' ')).toContain('$HEARTBEAT_FILE');
  });

  it('runs every pod as non-root, without privilege escalation or capabilities, on a read-only root filesystem', () => {
    const problems: string[] = [];
    for (const w of workloads(overlay)) {
      const pod = podSpec(w);
      for (const c of allContainers(w)) {
        const where = `${w.metadata.name}/${c.name}`;
        if ((c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot`);
        if ((c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser ?? 0) === 0) problems.push(`${where}: runs as uid 0`);
        if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation`);
        if (!(c.securityContext?.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where}: capabilities not dropped`);
        if (c.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${where}: writable root filesystem`);
      }
      if (pod.automountServiceAccountToken !== false) problems.push(`${w.metadata.name}: mounts a service account token`);
    }
    expect(problems).toEqual([]);
  });

  it('holds no secret: no Secret object, no credential in a value or a ConfigMap, only references', () => {
    expect(ofKind(overlay, 'Secret')).toEqual([]);
    const problems: string[] = [];
    for (const cm of ofKind(overlay, 'ConfigMap')) {
      for (const key of Object.keys(cm.data ?? {})) if (SECRET_NAME.test(key)) problems.push(`ConfigMap ${cm.metadata.name}: ${key}`);
    }
    for (const w of workloads(overlay)) {
      for (const c of allContainers(w)) {
        for (const e of c.env ?? []) {
          if (SECRET_NAME.test(e.name) && !e.valueFrom?.secretKeyRef)
            problems.push(`${w.metadata.name}/${c.name}: ${e.name} not from a Secret`);
        }
      }
    }
    // A URL with a password in it, anywhere in the output.
    const text = JSON.stringify(objects(overlay));
    problems.push(...[...text.matchAll(/[a-z]+:\/\/[^/\s"@]*:[^/\s"@]+@/g)].map((m) => `credentials in a URL: ${m[0]}`));
    expect(problems).toEqual([]);
  });

  it('names every Secret key it references in the Kubernetes section of docs/operations.md', () => {
    const docs = fs.readFileSync(path.join(REPO_ROOT, 'docs/operations.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## Kubernetes'));
    const keys = new Set(
      workloads(overlay).flatMap((w) => allContainers(w).flatMap((c) => (c.env ?? []).map((e: any) => e.valueFrom?.secretKeyRef?.key))),
    );
    keys.delete(undefined);
    expect(keys.size).toBeGreaterThan(0);
    for (const key of keys) expect({ key, documented: section.includes(`${key}=`) }).toEqual({ key, documented: true });
  });

  it('gives each container only variables its app accepts, with values its config parser takes', () => {
    let checked = 0;
    for (const w of workloads(overlay)) {
      for (const c of allContainers(w)) {
        const entry = entryOf(c);
        if (!entry) continue;
        const app = CONFIG_OF[entry];
        if (!app) throw new Error(`${w.metadata.name}/${c.name} runs ${entry}, whose configuration this test does not know`);
        const { env } = environmentOf(overlay, c);
        const unknown = Object.keys(env).filter((name) => !(name in app.schema.properties) && !RUNTIME_ENV.has(name));
        expect({ container: `${w.metadata.name}/${c.name}`, unknown }).toEqual({ container: `${w.metadata.name}/${c.name}`, unknown: [] });
        // Throws, naming every bad variable, exactly as the app would refuse to start.
        expect(() => app.load(env)).not.toThrow();
        checked += 1;
      }
    }
    // Server, worker, and the migrate init container of each.
    expect(checked).toBe(4);
  });

  it('runs one image for every app container', () => {
    const images = new Set(
      workloads(overlay).flatMap((w) =>
        allContainers(w)
          .filter((c) => entryOf(c))
          .map((c) => c.image),
      ),
    );
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(overlay === 'dev' ? /^taskflow-live:dev$/ : /^registry\.example\.com\/.+:\d+\.\d+\.\d+$/);
  });

  it('covers every Deployment with a PodDisruptionBudget', () => {
    const pdbs = ofKind(overlay, 'PodDisruptionBudget');
    const uncovered = ofKind(overlay, 'Deployment')
      .filter((d) => !pdbs.some((p) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels)))
      .map((d) => d.metadata.name);
    expect(uncovered).toEqual([]);
  });

  it('sizes the server grace period to its drain: preStop, DRAIN_DELAY_MS, then closing sockets and requests', () => {
    const deployment = find(overlay, 'Deployment', 'taskflow-server');
    const server = podSpec(deployment).containers[0] as Container;
    const [sleep, seconds] = server.lifecycle.preStop.exec.command as string[];
    expect(sleep).toBe('sleep');
    const drainMs = Number(environmentOf(overlay, server).env.DRAIN_DELAY_MS);
    expect(drainMs).toBeGreaterThan(0);
    // 15 s for closing every socket and finishing in-flight requests (compose allows 17.5 s after its drain).
    expect(podSpec(deployment).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(Number(seconds) + drainMs / 1000 + 15);
    // The worker finishes in-flight jobs, the longest being an LLM call (LLM_TIMEOUT_MS, 60 s by default).
    expect(podSpec(find(overlay, 'Deployment', 'taskflow-worker')).terminationGracePeriodSeconds).toBeGreaterThan(60);
  });

  it('autoscales servers and workers on CPU', () => {
    for (const name of ['taskflow-server', 'taskflow-worker']) {
      const hpa = find(overlay, 'HorizontalPodAutoscaler', name);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      expect(hpa.spec.metrics).toContainEqual(
        expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) }),
      );
      expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    }
  });

  it('routes the Ingress to the server Service with cookie affinity', () => {
    const ingress = find(overlay, 'Ingress', 'taskflow');
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
      'nginx.ingress.kubernetes.io/session-cookie-name': 'tfnode',
    });
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    const service = find(overlay, 'Service', backend.name);
    expect(service.spec.ports.map((p: any) => p.name)).toContain(backend.port.name);
    // The metrics listener is never behind the Ingress.
    const routed = service.spec.ports.find((p: any) => p.name === backend.port.name);
    expect(routed.targetPort).toBe('http');
  });

  it('lets only the ingress controller reach the servers, and only servers and workers reach PostgreSQL and Redis', () => {
    const policies = ofKind(overlay, 'NetworkPolicy');
    const deny = find(overlay, 'NetworkPolicy', 'taskflow-default-deny');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

    const serverLabels = find(overlay, 'Deployment', 'taskflow-server').spec.template.metadata.labels;
    const workerLabels = find(overlay, 'Deployment', 'taskflow-worker').spec.template.metadata.labels;
    const selects = (p: K8sObject, labels: Record<string, string>) => selectorMatches(p.spec.podSelector, labels);
    // Who may reach the servers' HTTP port: the ingress-nginx namespace only.
    const toServerHttp = policies
      .filter((p) => selects(p, serverLabels) && p.spec.ingress)
      .flatMap((p) => p.spec.ingress)
      .filter((rule: any) => (rule.ports ?? []).some((port: any) => port.port === 3000));
    expect(toServerHttp.length).toBeGreaterThan(0);
    for (const rule of toServerHttp) {
      for (const peer of rule.from)
        expect(peer.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } });
    }

    const DATA_PORTS = [5432, 6379];
    // Egress towards the data ports is granted only to server and worker pods.
    for (const p of policies.filter((x) => x.spec.egress)) {
      const reachesData = p.spec.egress.some((rule: any) => (rule.ports ?? []).some((port: any) => DATA_PORTS.includes(port.port)));
      if (!reachesData) continue;
      const podsOf = (labels: Record<string, string>) => selects(p, labels);
      expect({ policy: p.metadata.name, server: podsOf(serverLabels), worker: podsOf(workerLabels) }).toEqual({
        policy: p.metadata.name,
        server: true,
        worker: true,
      });
      for (const other of workloads(overlay).filter((w) => !['taskflow-server', 'taskflow-worker'].includes(w.metadata.name))) {
        expect({ policy: p.metadata.name, grants: other.metadata.name, to: podsOf(other.spec.template.metadata.labels) }).toMatchObject({
          to: false,
        });
      }
    }
    for (const port of DATA_PORTS) {
      const granted = policies.some(
        (p) => selects(p, serverLabels) && (p.spec.egress ?? []).some((r: any) => (r.ports ?? []).some((x: any) => x.port === port)),
      );
      expect({ port, granted }).toEqual({ port, granted: true });
    }
    // In-cluster PostgreSQL and Redis (dev) admit only server and worker pods.
    for (const db of ofKind(overlay, 'StatefulSet')) {
      const labels = db.spec.template.metadata.labels;
      const admitting = policies.filter((p) => selects(p, labels) && p.spec.ingress);
      expect(admitting.length).toBeGreaterThan(0);
      for (const rule of admitting.flatMap((p) => p.spec.ingress)) {
        for (const peer of rule.from) {
          expect(peer.namespaceSelector).toBeUndefined();
          const admitted = [serverLabels, workerLabels].filter((l) => selectorMatches(peer.podSelector, l));
          expect({ db: db.metadata.name, peer, admitsOnlyOneOfServerOrWorker: admitted.length === 1 }).toMatchObject({
            admitsOnlyOneOfServerOrWorker: true,
          });
        }
      }
    }
  });
});

it('adds sockets per pod (prometheus-adapter) as a second server HPA metric in production', () => {
  const hpa = find('production', 'HorizontalPodAutoscaler', 'taskflow-server');
  expect(hpa.spec.metrics).toContainEqual({
    type: 'Pods',
    pods: { metric: { name: 'taskflow_socket_connections' }, target: { type: 'AverageValue', averageValue: expect.anything() } },
  });
  const adapter = fs.readFileSync(path.join(REPO_ROOT, 'deploy/observability/prometheus-adapter-values.yaml'), 'utf8');
  expect(adapter).toContain('taskflow_socket_connections');
});

describe('deploy/observability', () => {
  const OBSERVABILITY = path.join(REPO_ROOT, 'deploy/observability');
  const readYaml = (file: string) => {
    const docs = parseAllDocuments(fs.readFileSync(path.join(OBSERVABILITY, file), 'utf8'));
    expect(docs.flatMap((d) => d.errors.map((e) => e.message))).toEqual([]);
    return docs.map((d): any => d.toJSON());
  };

  it('carries the same alert groups in the PrometheusRule as in the plain rules file, each rule complete', () => {
    const rule = readYaml('prometheus-rule.yaml')[0] as K8sObject;
    const plain = readYaml('taskflow-alerts.rules.yml')[0];
    expect(rule.spec.groups).toEqual(plain.groups);
    const rules = plain.groups.flatMap((g: any) => g.rules);
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect({ alert: r.alert, expr: typeof r.expr, severity: r.labels?.severity, summary: typeof r.annotations?.summary }).toEqual({
        alert: expect.stringMatching(/^Taskflow[A-Za-z]+$/),
        expr: 'string',
        severity: expect.stringMatching(/^(critical|warning|info)$/),
        summary: 'string',
      });
    }
    expect(new Set(rules.map((r: any) => r.alert)).size).toBe(rules.length);
  });

  it('validates the PrometheusRule and the PodMonitor against the prometheus-operator schemas', () => {
    if (!isInstalled('@kubernetes-models/prometheus-operator')) {
      throw new Error(`@kubernetes-models/prometheus-operator is not installed: ${MODELS_INSTALL}`);
    }
    for (const file of ['prometheus-rule.yaml', 'podmonitor.yaml']) for (const o of readYaml(file) as K8sObject[]) validateAgainstSchema(o);
  });

  it('scrapes the pods the server Deployment makes, on its metrics port', () => {
    const monitor = readYaml('podmonitor.yaml')[0] as K8sObject;
    const server = find('production', 'Deployment', 'taskflow-server');
    expect(selectorMatches(monitor.spec.selector, server.spec.template.metadata.labels)).toBe(true);
    expect(monitor.spec.podMetricsEndpoints[0].port).toBe('metrics');
    expect(server.spec.template.spec.containers[0].ports).toContainEqual({ name: 'metrics', containerPort: 9464 });
  });
});

/** A label selector (matchLabels and matchExpressions In/NotIn/Exists) against a pod's labels; `{}` selects all. */
function selectorMatches(selector: any, labels: Record<string, string>): boolean {
  if (!selector) return false;
  if (!matches(selector.matchLabels ?? {}, labels)) return false;
  return (selector.matchExpressions ?? []).every((e: any) => {
    const has = e.key in labels;
    if (e.operator === 'In') return has && e.values.includes(labels[e.key]);
    if (e.operator === 'NotIn') return !has || !e.values.includes(labels[e.key]);
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    throw new Error(`unknown selector operator ${e.operator}`);
  });
}

/**
 * Validates one object with the model kubernetes-models (or @kubernetes-models/prometheus-operator) has for its
 * apiVersion and kind: the Kubernetes OpenAPI schema, as JSON Schema. Loaded by path because the module is chosen
 * per object.
 */
function validateAgainstSchema(o: K8sObject): void {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : [undefined, o.apiVersion];
  const pkg = group === 'monitoring.coreos.com' ? '@kubernetes-models/prometheus-operator' : 'kubernetes-models';
  let mod: Record<string, new (data: unknown) => { validate(): void }>;
  try {
    mod = jest.requireActual(`${pkg}/${group ? `${group}/` : ''}${version}/${o.kind}`);
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND' && !isInstalled(pkg)) {
      throw new Error(`${pkg} is not installed: ${MODELS_INSTALL}`);
    }
    throw new Error(`no schema for ${o.apiVersion} ${o.kind}: ${(err as Error).message}`);
  }
  const Model = mod[o.kind];
  if (!Model) throw new Error(`no model ${o.kind} for ${o.apiVersion}`);
  new Model(o).validate();
}
const MODELS_INSTALL = 'npm install -D -w libs/devstack kubernetes-models@4.5.1 @kubernetes-models/prometheus-operator@4.4.4';
function isInstalled(pkg: string): boolean {
  return [REPO_ROOT, path.join(REPO_ROOT, 'libs/devstack')].some((dir) =>
    fs.existsSync(path.join(dir, 'node_modules', pkg, 'package.json')),
  );
}
