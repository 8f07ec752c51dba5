import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { CLIENT_MESSAGES, SERVER_EVENTS } from '@taskflow/events';
import { DEMO_ORGS, DEMO_USERS } from '@taskflow/store';
import { REPO_ROOT } from './config-reference';

/**
 * The operator and client-author docs stay true to the code: every event and message of the
 * contract is documented, the minimal client shown is the one the tests run, every metric a
 * node exports is explained, and every link points inside the repository.
 */
const read = (rel: string) => fs.readFileSync(path.join(REPO_ROOT, rel), 'utf8');
const DOCS = ['docs/operations.md', 'docs/websocket.md', 'docs/troubleshooting.md'];

describe('docs/websocket.md', () => {
  const doc = read('docs/websocket.md');

  it('documents every server event and client message of libs/events', () => {
    for (const name of [...Object.keys(SERVER_EVENTS), ...Object.keys(CLIENT_MESSAGES)])
      expect([name, doc.includes(`\`${name}\``)]).toEqual([name, true]);
  });

  it('shows the minimal client exactly as docs/examples/minimal-client.ts, which the tests run', () => {
    const client = read('docs/examples/minimal-client.ts');
    expect(doc).toContain(`\`\`\`ts\n${client}\`\`\``);
  });

  it('has the minimal client use @taskflow/client, with no protocol loop of its own', () => {
    const client = read('docs/examples/minimal-client.ts');
    expect([...client.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1])).toEqual(['@taskflow/client']);
    // Joins, resyncs and reconnects are the library's: none is sent or handled here (comments aside).
    const code = client.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/task:join|dashboard:join|resync_requested|sync:required|emitWithAck|socket\.connect\(/);
  });

  it('tells an integrator to install the packed client, as the minimal client test does', () => {
    expect(doc).toContain('## Integrate with @taskflow/client');
    expect(doc).toContain('npm i /path/to/taskflow-client-<version>.tgz socket.io-client@4.8');
    expect(read('package.json')).toContain('"client:pack": "node infra/local/bootstrap.mjs run tools/src/pack-client.ts"');
  });
});

describe('docs/operations.md', () => {
  it('explains every metric a server node exports', () => {
    const doc = read('docs/operations.md');
    const sources = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === 'testing' ? [] : sources(p);
        return /\.ts$/.test(e.name) && !/\.(int-)?spec\.ts$/.test(e.name) ? [p] : [];
      });
    // Metrics are declared through prom-client; other `taskflow_*` names (the session cookie) are not metrics.
    const metricSources = sources(path.join(REPO_ROOT, 'apps/server/src')).filter((f) =>
      fs.readFileSync(f, 'utf8').includes('prom-client'),
    );
    const metrics = new Set(
      metricSources.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/name: '(taskflow_[a-z_]+)'/g)].map((m) => m[1])),
    );
    expect(metrics.size).toBeGreaterThan(8);
    for (const metric of metrics) expect([metric, doc.includes(`\`${metric}`)]).toEqual([metric, true]);
  });
});

describe('the operator docs', () => {
  it('link only to files inside the repository, and every one exists', () => {
    let checked = 0;
    for (const file of DOCS) {
      const doc = read(file);
      const links = [...doc.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!);
      checked += links.length;
      for (const link of links) {
        expect([file, link, /^[a-z]+:/i.test(link)]).toEqual([file, link, false]);
        const target = path.resolve(path.dirname(path.join(REPO_ROOT, file)), link.split('#')[0]!);
        expect([file, link, target.startsWith(REPO_ROOT) && fs.existsSync(target)]).toEqual([file, link, true]);
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('are linked from the README, as is every other top-level doc of docs/ (the README is the index)', () => {
    const readme = read('README.md');
    const docs = fs.readdirSync(path.join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md'));
    expect(docs).toEqual(expect.arrayContaining(['operations.md', 'configuration.md', 'walkthrough.md']));
    for (const doc of docs) expect([doc, readme.includes(`(docs/${doc})`)]).toEqual([doc, true]);
  });
});

describe('the demo users', () => {
  it('are all named, with their orgs, on the login page and in the README (the banner is built from the same list)', () => {
    const hint = read('apps/web/src/pages/login-page.tsx')
      .split('\n')
      .find((l) => l.includes('Demo users:'));
    const readme = /seed the demo users[^.]*/.exec(read('README.md'))?.[0];
    for (const text of [hint, readme]) {
      expect(text).toBeDefined();
      for (const name of [...DEMO_USERS.map((u) => u.username), ...DEMO_ORGS.map((o) => o.slug)])
        expect([name, new RegExp(`\\b${name}\\b`).test(text!)]).toEqual([name, true]);
    }
  });
});

describe('the repository is self-contained', () => {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(
      (f) =>
        /\.(ts|tsx|js|cjs|mjs|md|json|yml|yaml|cfg|sh)$|Dockerfile$/.test(f) &&
        f !== 'package-lock.json' &&
        fs.existsSync(path.join(REPO_ROOT, f)),
    );

  it('no tracked source or doc cites a document that is not in it (a design doc, a spec section, an appendix, a sibling folder)', () => {
    // Built from parts so this file does not match itself.
    const outside = new RegExp(['DES' + 'IGN', 'spec ' + '§', 'spec' + "'s", 'Append' + 'ix [A-C]\\b', '\\.\\./' + 'shared\\b'].join('|'));
    expect(tracked.length).toBeGreaterThan(100);
    const offenders = tracked.flatMap((f) =>
      read(f)
        .split('\n')
        .flatMap((line, i) => (outside.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it('every relative link in README.md and docs/ resolves to a file or folder of the repository', () => {
    const docs = ['README.md', ...tracked.filter((f) => /^docs\/.*\.md$/.test(f))];
    expect(docs).toContain('docs/architecture.md');
    let checked = 0;
    for (const file of docs) {
      const doc = read(file).replace(/```[\s\S]*?```/g, '');
      for (const [, link] of doc.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(link!) || link!.startsWith('#')) continue;
        checked += 1;
        const target = path.resolve(path.dirname(path.join(REPO_ROOT, file)), decodeURI(link!.split('#')[0]!));
        expect([file, link, target.startsWith(REPO_ROOT) && fs.existsSync(target)]).toEqual([file, link, true]);
      }
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('every source path README.md and docs/ cite in `code` exists (a moved file or folder updates its citations)', () => {
    const docs = ['README.md', ...tracked.filter((f) => /^docs\/.*\.md$/.test(f))];
    let checked = 0;
    const missing = docs.flatMap((file) =>
      [
        ...read(file)
          .replace(/```[\s\S]*?```/g, '')
          .matchAll(/`((?:apps|libs|tools|infra|load-tests|docs)\/[^`\s]+)`/g),
      ]
        .map((m) => m[1]!)
        // Globs, brace lists and placeholders name families of files; build outputs exist only after a build.
        .filter((cited) => !/[*{}<>]|\/dist(\/|$)/.test(cited))
        .flatMap((cited) => {
          checked += 1;
          return fs.existsSync(path.join(REPO_ROOT, cited.split(/[#:]/)[0]!)) ? [] : [`${file}: ${cited}`];
        }),
    );
    expect(checked).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });

  it('every anchor of docs/architecture.md that a comment or doc points to is a heading of it', () => {
    const slug = (h: string) =>
      h
        .trim()
        .toLowerCase()
        .replace(/[^\w\s-]/g, '')
        .replace(/\s/g, '-');
    const anchors = new Set([...read('docs/architecture.md').matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
    const cited = tracked.flatMap((f) => [...read(f).matchAll(/architecture\.md#([\w-]+)/g)].map((m) => [f, m[1]!] as const));
    expect(cited.length).toBeGreaterThan(8);
    for (const [file, anchor] of cited) expect([file, anchor, anchors.has(anchor)]).toEqual([file, anchor, true]);
  });
});

/**
 * What a markdown table's rows lack, as GitHub renders them: a row after a blank line (the table
 * ended: it shows raw pipes), or a row whose cell count differs from the header's (an unescaped `|`
 * splits a cell, even inside `code`). Fenced code is not markdown.
 */
function tableProblems(markdown: string): string[] {
  const lines = markdown.replace(/^```[\s\S]*?^```$/gm, (fence) => fence.replace(/[^\n]/g, '')).split('\n');
  const cells = (row: string) =>
    row
      .trim()
      .replace(/^\|/, '')
      .replace(/(?<!\\)\|$/, '')
      .split(/(?<!\\)\|/).length;
  const isDelimiter = (line: string | undefined) => line !== undefined && /^\s*\|?(\s*:?-+:?\s*\|)+(\s*:?-+:?\s*)?$/.test(line);
  const problems: string[] = [];
  let columns = 0;
  lines.forEach((line, i) => {
    if (!/^\s*\|/.test(line)) {
      columns = 0;
      return;
    }
    if (columns === 0) {
      if (isDelimiter(lines[i + 1])) columns = cells(line);
      else problems.push(`line ${i + 1}: a row outside any table: ${line.slice(0, 80)}`);
      return;
    }
    if (cells(line) !== columns) problems.push(`line ${i + 1}: ${cells(line)} cells, the header has ${columns}: ${line.slice(0, 80)}`);
  });
  return problems;
}

describe('markdown tables in README.md and docs/', () => {
  it('finds a row cut off by a blank line and a cell split by a pipe inside code', () => {
    const doc = [
      '| What | Value |',
      '|---|---|',
      '| a | 1 |',
      '',
      '| b | 2 |',
      '',
      '| A | B |',
      '|---|---|',
      '| `x|y` | 3 |',
      '| `x\\|y` | 4 |',
    ];
    expect(tableProblems(doc.join('\n'))).toEqual([
      'line 5: a row outside any table: | b | 2 |',
      'line 9: 3 cells, the header has 2: | `x|y` | 3 |',
    ]);
  });

  it('have every row inside its table, with the header’s number of cells', () => {
    const files = [
      'README.md',
      ...execFileSync('git', ['ls-files', 'docs/*.md'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim().split('\n'),
    ].filter((f) => fs.existsSync(path.join(REPO_ROOT, f)));
    expect(files).toContain('docs/operations.md');
    const tables = files.reduce((n, f) => n + (read(f).match(/^\s*\|?(\s*:?-+:?\s*\|)+/gm)?.length ?? 0), 0);
    expect(tables).toBeGreaterThan(20);
    expect(files.flatMap((f) => tableProblems(read(f)).map((p) => `${f}: ${p}`))).toEqual([]);
  });
});
