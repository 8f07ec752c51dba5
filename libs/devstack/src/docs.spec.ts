import fs from 'node:fs';
import path from 'node:path';
import { CLIENT_MESSAGES, SERVER_EVENTS } from '@taskflow/events';
import { REPO_ROOT } from './config';

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
    for (const name of [...Object.keys(SERVER_EVENTS), ...Object.keys(CLIENT_MESSAGES)]) expect([name, doc.includes(`\`${name}\``)]).toEqual([name, true]);
  });

  it('shows the minimal client exactly as docs/examples/minimal-client.ts, which the tests run', () => {
    const client = read('docs/examples/minimal-client.ts');
    expect(doc).toContain(`\`\`\`ts\n${client}\`\`\``);
  });

  it('has the minimal client listen to every task-scoped event that carries a seq', () => {
    const client = read('docs/examples/minimal-client.ts');
    const listed = /const TASK_EVENTS = \[([^\]]*)\]/.exec(client)?.[1] ?? '';
    const names = [...listed.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    const withSeq = Object.entries(SERVER_EVENTS)
      .filter(([name, schema]) => name.startsWith('task:') && name !== 'task:state' && 'seq' in (schema as { properties?: object }).properties!)
      .map(([name]) => name);
    expect(withSeq.length).toBeGreaterThan(10);
    expect(names.sort()).toEqual(withSeq.sort());
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
    const metrics = new Set(sources(path.join(REPO_ROOT, 'apps/server/src')).flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/name: '(taskflow_[a-z_]+)'/g)].map((m) => m[1])));
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

  it('are linked from the README', () => {
    const readme = read('README.md');
    expect(readme).toContain('docs/operations.md');
  });
});
