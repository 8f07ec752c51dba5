import fs from 'node:fs';
import path from 'node:path';
import { Kind, OptionalKind, type TObject, type TSchema } from '@sinclair/typebox';
import { StackEnvSchema } from '@taskflow/devstack';
import { REPO_LIST_PATTERN } from '@taskflow/platform';
import { ServerEnvSchema } from '@taskflow/server/src/config';
import { WorkerEnvSchema } from '@taskflow/worker/src/config';

/**
 * docs/configuration.md, generated from the TypeBox schemas each program parses its environment with, so the
 * reference cannot drift from what the code accepts: `npm run docs:config` writes it, and
 * config-reference.spec.ts fails when the committed file differs from what this renders.
 */
export const REPO_ROOT = path.resolve(__dirname, '../..');
export const CONFIG_DOC = 'docs/configuration.md';
export const CONFIG_DOC_COMMAND = 'npm run docs:config';

export interface EnvSource {
  /** How the table names the program. */
  app: string;
  schema: TObject;
}

/** Read at run time, so a variable moved into a shared fragment (libs/platform) is still listed under each app using it. */
export const ENV_SOURCES: readonly EnvSource[] = [
  { app: 'server', schema: ServerEnvSchema },
  { app: 'worker', schema: WorkerEnvSchema },
  { app: 'stack', schema: StackEnvSchema },
];

const URL_PATTERN = '^[a-z][a-z0-9+.-]*://';

/** `|` would end a table cell; a line break would end the row. */
const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
const code = (value: unknown) => `\`${String(value)}\``;

function typeOf(s: TSchema): string {
  if (Array.isArray(s.anyOf)) return (s.anyOf as TSchema[]).map((member) => code(member.const)).join(', ');
  const range = (name: string) => {
    const min: unknown = s.minimum ?? s.exclusiveMinimum;
    const bounds = [
      min === undefined ? '' : `${s.minimum === undefined ? '>' : '≥'} ${String(min)}`,
      s.maximum === undefined ? '' : `≤ ${String(s.maximum)}`,
    ].filter(Boolean);
    return [name, ...bounds].join(', ');
  };
  switch (s[Kind]) {
    case 'Integer':
      return range('integer');
    case 'Number':
      return range('number');
    case 'Boolean':
      return '`true`, `false`';
    case 'String':
      if (s.pattern === URL_PATTERN) return 'URL';
      if (s.pattern === REPO_LIST_PATTERN) return '`owner/name`, `org:owner/name`, comma-separated';
      if (typeof s.minLength === 'number') return `string, ≥ ${s.minLength} characters`;
      if (typeof s.pattern === 'string' && /^\^\[[^\]]+\]\+\$$/.test(s.pattern)) return `string of \`${s.pattern.slice(1, -2)}\``;
      return 'string';
    default:
      return s[Kind];
  }
}

function defaultOf(s: TSchema): string {
  if (!('default' in s)) return OptionalKind in s ? 'unset' : 'required';
  // Defaults computed at start are shown as what they stand for, not as this machine's values.
  const value = String(s.default)
    .replace(`-${process.pid}`, '-<pid>')
    .split(REPO_ROOT + path.sep)
    .join('');
  return value === '' ? 'empty' : code(value);
}

/** One value for all the apps when they agree; else each value with the apps that have it. */
function merged(values: Array<[app: string, value: string]>): string {
  const apps = new Map<string, string[]>();
  for (const [app, value] of values) apps.set(value, [...(apps.get(value) ?? []), app]);
  if (apps.size === 1) return values[0]![1];
  return [...apps].map(([value, names]) => `${names.join(', ')}: ${value}`).join('<br>');
}

/** The variables that have no description, as `app: NAME`: the reference would have an empty cell for them. */
export function undescribed(sources: readonly EnvSource[] = ENV_SOURCES): string[] {
  return sources.flatMap(({ app, schema }) =>
    Object.entries(schema.properties).flatMap(([name, s]) =>
      typeof s.description === 'string' && s.description.trim() ? [] : [`${app}: ${name}`],
    ),
  );
}

/** The reference as markdown (the repository's markdown is not Prettier's: .prettierignore). */
export function renderConfigReference(sources: readonly EnvSource[] = ENV_SOURCES): string {
  const rows = new Map<string, Array<[app: string, schema: TSchema]>>();
  for (const { app, schema } of sources)
    for (const [name, s] of Object.entries(schema.properties)) rows.set(name, [...(rows.get(name) ?? []), [app, s]]);
  const table = [...rows].map(([name, uses]) => {
    const per = (f: (s: TSchema) => string) => merged(uses.map(([app, s]) => [app, cell(f(s))]));
    return `| ${code(name)} | ${uses.map(([app]) => app).join(', ')} | ${per(typeOf)} | ${per(defaultOf)} | ${per((s) => s.description ?? '')} |`;
  });
  const markdown = [
    '# Configuration',
    '',
    `<!-- Generated from the apps' environment schemas by \`${CONFIG_DOC_COMMAND}\` (tools/src/config-reference.ts). Do not edit: change the schema's \`description\`, then run it. -->`,
    '',
    'Every program reads its settings from environment variables, parsed once at start against a TypeBox schema',
    'into a frozen object; a bad value stops the start with a list of every bad variable. The programs:',
    '',
    '- **server**: a server node (`apps/server/src/config.ts`); the one-shot migration job reads a subset of it;',
    '- **worker**: a worker (`apps/worker/src/config.ts`);',
    '- **stack**: the local stack behind `npm start`, `npm run dev`, `npm run cluster`, `npm run services` and `npm test`',
    '  (`libs/devstack/src/config.ts`), which starts the others and passes them what they need (URLs, secrets, ports).',
    '',
    'An empty value counts as unset. Secrets the stack generates (`JWT_SECRET`, `GITHUB_WEBHOOK_SECRET`, the private',
    "Redis's password) are kept in `DATA_DIR/secrets.json`. For containers, see [`.env.example`](../.env.example) and",
    '[operations](operations.md).',
    '',
    '| Variable | Read by | Type | Default | Description |',
    '|---|---|---|---|---|',
    ...table,
    '',
    'Tools and tests read a few more: `WATCH_USER`, `WATCH_PASSWORD` (`npm run watch-task`), `GITHUB_HEAD_REPO`',
    '(`npm run simulate`, a pull request from a fork), `CHROMIUM_PATH` and `TASKFLOW_SCREENSHOTS_DIR` (the browser tests),',
    "`CHURN_TEST_SECONDS` (how long the server's socket-churn memory test runs, 60 by default).",
    '',
  ].join('\n');
  return markdown;
}

function main(): void {
  const missing = undescribed();
  if (missing.length > 0) throw new Error(`These variables have no description in their schema:\n  ${missing.join('\n  ')}`);
  const target = path.join(REPO_ROOT, CONFIG_DOC);
  const before = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  const after = renderConfigReference();
  fs.writeFileSync(target, after);
  process.stdout.write(`${CONFIG_DOC}: ${before === after ? 'already current' : 'written'}\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
