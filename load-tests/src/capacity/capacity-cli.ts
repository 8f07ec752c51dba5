import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS, DEFAULT_WORKLOAD, size, type Limits, type Workload } from './capacity-model';
import { deriveUnitCosts, type HarnessSummary, type MeasuredRun, type RunSetup } from './capacity-costs';
import { capacityReport } from './capacity-report';

/**
 * `npm run capacity -- <harness output...> [--sizes 10000,100000,1000000] [assumptions]`: reads the JSON of
 * one or more `npm run bench` runs (an `--out` file's ```json block, a saved stdout whose last JSON line is the
 * summary, or a plain .json), derives the unit costs and prints the sizing as Markdown.
 */

const kebab = (k: string) => k.replace(/[A-Z0-9]+/g, (m) => `-${m.toLowerCase()}`).replace(/^-/, '');
const numberOptions = [...Object.keys(DEFAULT_WORKLOAD), ...Object.keys(DEFAULT_LIMITS)].map(kebab);

const CAPACITY_USAGE = `Usage: npm run capacity -- <bench --out file | .json ...> [--sizes N,N,...] [--orgs N --nodes N]

  --sizes              concurrent dashboard sockets to size for (default 10000,100000,1000000)
  --orgs N --nodes N   the measured run's orgs and nodes, for summaries that do not record them (harness defaults: 10, 2)
  assumptions (defaults in brackets):
${[...Object.entries(DEFAULT_WORKLOAD), ...Object.entries(DEFAULT_LIMITS)].map(([k, v]) => `  --${kebab(k)} [${v}]`).join('\n')}`;

/** The summary in a harness output: the whole file as JSON, else its last ```json block, else its last JSON line. */
export function extractSummary(text: string, name: string): HarnessSummary {
  const candidates = [text, ...[...text.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => m[1]!).reverse()];
  candidates.push(
    ...text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .reverse(),
  );
  for (const candidate of candidates) {
    let value: unknown;
    try {
      value = JSON.parse(candidate);
    } catch {
      continue;
    }
    return checkSummary(value, name);
  }
  throw new Error(`${name}: no JSON summary found (expected an --out file, a saved stdout or a .json)`);
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumberRecord = (v: unknown) => typeof v === 'object' && v !== null && Object.values(v).every(isNumber);

function checkSummary(value: unknown, name: string): HarnessSummary {
  const s = value as Record<string, unknown>;
  const bad = [
    ...['sockets', 'connected', 'durationS', 'deliveries', 'frames'].filter((k) => !isNumber(s?.[k])),
    ...(s?.rssPerSocketKB === null || isNumber(s?.rssPerSocketKB) ? [] : ['rssPerSocketKB']),
    ...['cpuSecondsByComponent', 'rssKBByComponent'].filter((k) => !isNumberRecord(s?.[k])),
  ];
  if (typeof s?.scenario !== 'string') bad.push('scenario');
  const drive = s?.drive as Record<string, unknown> | undefined;
  if (drive !== undefined && !(isNumber(drive.tasks) && isNumber(drive.transitionsPerSec))) bad.push('drive');
  const redis = s?.redis as Record<string, unknown> | null | undefined;
  if (redis != null && !(isNumber(redis.netOutputBytes) && isNumber(redis.publishes))) bad.push('redis');
  const pg = s?.postgres as Record<string, unknown> | null | undefined;
  if (pg != null && !['rowsInserted', 'rowsUpdated', 'rowsDeleted'].every((k) => isNumber(pg[k]))) bad.push('postgres');
  const setup = s?.setup as Record<string, unknown> | undefined;
  if (setup !== undefined && !(isNumber(setup.orgs) && isNumber(setup.nodes))) bad.push('setup');
  if (bad.length) throw new Error(`${name}: not a harness summary (missing or not numbers: ${bad.join(', ')})`);
  return value as HarnessSummary;
}

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return n;
}

export function runCapacity(argv: string[], readFile: (file: string) => string): string {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      sizes: { type: 'string' },
      orgs: { type: 'string' },
      nodes: { type: 'string' },
      ...Object.fromEntries(numberOptions.map((o) => [o, { type: 'string' as const }])),
    },
  });
  if (!positionals.length) throw new Error(CAPACITY_USAGE);
  const opt = values as Record<string, string | undefined>;
  const override = <T extends object>(defaults: T): T =>
    Object.fromEntries(
      Object.entries(defaults).map(([k, v]) => [k, opt[kebab(k)] === undefined ? v : positive(kebab(k), opt[kebab(k)]!)]),
    ) as T;
  const workload: Workload = override(DEFAULT_WORKLOAD);
  const limits: Limits = override(DEFAULT_LIMITS);
  for (const share of ['cpuTarget', 'memoryTarget', 'fdTarget'] as const) {
    if (limits[share] > 1) throw new Error(`--${kebab(share)} is a share: at most 1, got ${limits[share]}`);
  }
  const fallback: RunSetup = {
    orgs: opt.orgs === undefined ? 10 : positive('orgs', opt.orgs),
    nodes: opt.nodes === undefined ? 2 : positive('nodes', opt.nodes),
  };
  const runs: MeasuredRun[] = positionals.map((file) => {
    const summary = extractSummary(readFile(file), file);
    const setup = summary.setup ?? fallback;
    return { name: `${path.basename(file)} (${summary.scenario}, ${summary.connected} sockets)`, summary, setup };
  });
  const sizes = (opt.sizes ?? '10000,100000,1000000').split(',').map((s) => Math.round(positive('sizes', s)));
  const costs = deriveUnitCosts(runs);
  return capacityReport({
    sizes,
    sizings: sizes.map((n) => size(n, workload, limits, costs)),
    costs,
    workload,
    limits,
    runs: runs.map((r) => `${r.name}, ${r.setup.orgs} orgs, ${r.setup.nodes} nodes${r.summary.setup ? '' : ' (from the command line)'}`),
  });
}

if (require.main === module) {
  try {
    process.stdout.write(`${runCapacity(process.argv.slice(2), (f) => fs.readFileSync(f, 'utf8'))}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
