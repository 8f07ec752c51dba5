// Makes slow suites visible as they drift: after each test file that took more than a few seconds, one line
// with its duration and its slowest tests and hooks; and, for any test or beforeAll/afterAll hook that used more
// than a third of its budget (less than 3x headroom over its duration here), a line saying so. Budgets come
// from budget-recorder.js (a setup file), which writes them where this reporter reads them.
// TASKFLOW_TEST_BUDGETS=all prints the share of its budget every test and hook used (for an audit of budgets).
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '../..');
const SLOW_FILE_MS = 5_000;
const SLOW_TEST_MS = 1_000;
const SLOWEST_SHOWN = 3;
// Budgets are ceilings for hangs: a test should fit three times in its budget on an idle machine.
const HEADROOM = 3;

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const short = (name) => (name.length > 70 ? `${name.slice(0, 69)}…` : name);

class DurationsReporter {
  constructor(globalConfig) {
    this.defaultTimeoutMs = globalConfig.testTimeout || 5_000;
    // Test workers are started after the reporters, and inherit this environment.
    if (!process.env.TASKFLOW_JEST_BUDGETS_DIR) {
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-jest-budgets-'));
      process.env.TASKFLOW_JEST_BUDGETS_DIR = this.dir;
      // Also when the run is interrupted, which skips onRunComplete.
      process.once('exit', () => fs.rmSync(this.dir, { recursive: true, force: true }));
    }
  }

  /** What budget-recorder.js wrote for this file, if it ran. */
  budgets(testPath) {
    const dir = process.env.TASKFLOW_JEST_BUDGETS_DIR;
    if (!dir) return undefined;
    const file = path.join(dir, `${crypto.createHash('sha1').update(testPath).digest('hex')}.json`);
    try {
      const recorded = JSON.parse(fs.readFileSync(file, 'utf8'));
      fs.rmSync(file, { force: true });
      return recorded;
    } catch {
      return undefined;
    }
  }

  onTestResult(_test, result) {
    const recorded = this.budgets(result.testFilePath);
    const rel = path.relative(REPO_ROOT, result.testFilePath);
    const budgetOf = new Map((recorded?.tests ?? []).map((t) => [t.name, t.budgetMs]));
    const entries = [
      ...result.testResults.map((t) => ({ name: t.fullName, ms: t.duration ?? 0, budgetMs: budgetOf.get(t.fullName) })),
      ...(recorded?.hooks ?? []),
    ];
    const describe = (e) => {
      const budget = e.budgetMs ?? this.defaultTimeoutMs;
      return `"${short(e.name)}" ${seconds(e.ms)} = ${Math.round((100 * e.ms) / budget)}% of ${seconds(budget)}`;
    };
    const lines = [];
    const fileMs = result.perfStats.runtime ?? result.perfStats.end - result.perfStats.start;
    if (fileMs > SLOW_FILE_MS) {
      const slowest = entries
        .filter((e) => e.ms >= SLOW_TEST_MS)
        .sort((a, b) => b.ms - a.ms)
        .slice(0, SLOWEST_SHOWN);
      lines.push(`[slow] ${rel} ${seconds(fileMs)}${slowest.length ? ` (slowest: ${slowest.map(describe).join('; ')})` : ''}`);
    }
    const all = process.env.TASKFLOW_TEST_BUDGETS === 'all';
    for (const e of entries) {
      const tight = e.budgetMs !== undefined && e.ms * HEADROOM > e.budgetMs;
      if (tight || all) lines.push(`[budget] ${rel} ${describe(e)}${tight ? `: less than ${HEADROOM}x headroom` : ''}`);
    }
    if (lines.length) process.stderr.write(`${lines.join('\n')}\n`);
  }

  onRunComplete() {
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
module.exports = DurationsReporter;
