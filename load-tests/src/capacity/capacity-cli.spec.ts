import fs from 'node:fs';
import path from 'node:path';
import { extractSummary, runCapacity } from './capacity-cli';

const fixture = fs.readFileSync(path.join(__dirname, 'soak-9900-benchmarks.fixture.json'), 'utf8');
const files: Record<string, string> = {
  'plain.json': fixture,
  // What `npm run bench -- … --out FILE` writes: the Markdown table, then the summary in a json block.
  'run.md': `### soak: 9900 sockets\n\n| | product |\n|---|---|\n\n\`\`\`json\n${fixture}\n\`\`\`\n`,
  // A saved stdout: the table, then the summary as the last line.
  'stdout.txt': `### soak\n| a | b |\n${JSON.stringify(JSON.parse(fixture))}\n`,
  'no-setup.json': JSON.stringify({ ...JSON.parse(fixture), setup: undefined }),
  'broken.json': JSON.stringify({ scenario: 'soak', sockets: 'many' }),
};
const read = (f: string) => {
  if (!(f in files)) throw new Error(`no file ${f}`);
  return files[f]!;
};

describe('extractSummary', () => {
  it('finds the summary in a plain .json, an --out file and a saved stdout', () => {
    for (const name of ['plain.json', 'run.md', 'stdout.txt']) {
      expect(extractSummary(read(name), name)).toMatchObject({ scenario: 'soak', connected: 9900, deliveries: 949_410 });
    }
  });

  it('names the fields a file lacks, and says when there is no JSON at all', () => {
    expect(() => extractSummary(read('broken.json'), 'broken.json')).toThrow(
      /broken\.json: not a harness summary \(missing or not numbers: sockets, connected, durationS, deliveries, frames, rssPerSocketKB/,
    );
    expect(() => extractSummary('| just | a table |', 'table.md')).toThrow(/table\.md: no JSON summary found/);
  });
});

describe('runCapacity', () => {
  it('prints the unit costs, the assumptions and each size with its binding limit', () => {
    const out = runCapacity(['plain.json'], read);
    expect(out).toContain('| node CPU per frame delivered, ms | 0.0703 | plain.json (soak, 9900 sockets) |');
    expect(out).toContain('| 10,000 sockets | 100,000 sockets | 1,000,000 sockets |');
    expect(out).toContain('| **server nodes** | **2** (redundancy (minimum instances)) | **8** (node CPU) | **71** (node CPU) |');
    expect(out).toContain('- **1,000,000 sockets**: nodes by node CPU; HAProxy by HAProxy CPU;');
  });

  it('takes assumptions and sizes from the command line', () => {
    // Half the sockets per org: half the frames, so half the node CPU at 1,000,000 (71 → 36 nodes).
    const out = runCapacity(['run.md', '--sizes', '1000000', '--sockets-per-org', '50', '--node-memory-mb', '4096'], read);
    expect(out).toContain('| **server nodes** | **36** (node CPU) |');
    expect(out).toContain('| memory per server node, MB | 4,096 |');
  });

  it('uses --orgs and --nodes for a summary that does not record its setup', () => {
    const out = runCapacity(['no-setup.json', '--orgs', '5'], read);
    expect(out).toContain('no-setup.json (soak, 9900 sockets), 5 orgs, 2 nodes (from the command line)');
    // Twice the sockets per org than the run had: each task delivered half the rows per socket.
    expect(out).toContain('| dashboard rows per task, to each socket of its org | 4 |');
  });

  it('refuses a bad number and a run without files', () => {
    expect(() => runCapacity(['plain.json', '--cpu-target=-1'], read)).toThrow('--cpu-target must be a positive number, got "-1"');
    expect(() => runCapacity(['plain.json', '--memory-target', '1.5'], read)).toThrow('--memory-target is a share: at most 1, got 1.5');
    expect(() => runCapacity([], read)).toThrow(/Usage: npm run capacity --/);
  });
});

describe('docs/capacity.md', () => {
  it('shows what the model prints for the committed measurement (rerun it and paste when either changes)', () => {
    const doc = fs.readFileSync(path.join(__dirname, '../../../docs/capacity.md'), 'utf8');
    const out = runCapacity([path.join(__dirname, 'soak-9900-benchmarks.fixture.json')], (f) => fs.readFileSync(f, 'utf8'));
    expect(doc).toContain(out);
  });
});
