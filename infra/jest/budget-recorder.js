// Records, for each test and each beforeAll/afterAll hook of a test file, how long it took and the budget
// (timeout) it ran under, so that durations-reporter.js can say how much of its budget a slow test used.
// Jest's results carry durations but not budgets, and the reporter runs in another process: the
// numbers travel through a file in the directory the reporter created (TASKFLOW_JEST_BUDGETS_DIR).
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.TASKFLOW_JEST_BUDGETS_DIR;
// Jest Circus keeps its event handlers in this global array (Symbol.for, so every copy of Circus shares it);
// a setup file can join them without replacing the project's test environment.
const handlers = globalThis[Symbol.for('EVENT_HANDLERS')];
const { testPath } = expect.getState();

if (dir && testPath && Array.isArray(handlers)) {
  const tests = [];
  const hooks = [];
  const hookStarts = new Map();
  const nameOf = (block) => {
    const names = [];
    for (let b = block; b && b.parent; b = b.parent) names.unshift(b.name);
    return names.join(' ');
  };
  handlers.push((event, state) => {
    switch (event.name) {
      case 'test_done':
        tests.push({
          name: [nameOf(event.test.parent), event.test.name].filter(Boolean).join(' '),
          ms: event.test.duration ?? 0,
          budgetMs: event.test.timeout || state.testTimeout,
        });
        break;
      case 'hook_start':
        if (event.hook.type === 'beforeAll' || event.hook.type === 'afterAll') hookStarts.set(event.hook, Date.now());
        break;
      case 'hook_success':
      case 'hook_failure': {
        const started = hookStarts.get(event.hook);
        if (started === undefined) break;
        hookStarts.delete(event.hook);
        const where = nameOf(event.hook.parent);
        hooks.push({
          name: where ? `${event.hook.type} (${where})` : event.hook.type,
          ms: Date.now() - started,
          budgetMs: event.hook.timeout || state.testTimeout,
        });
        break;
      }
      case 'run_finish': {
        const file = path.join(dir, `${crypto.createHash('sha1').update(testPath).digest('hex')}.json`);
        try {
          fs.writeFileSync(file, JSON.stringify({ testPath, tests, hooks }));
        } catch {
          // The reporter's directory is gone (its run ended): nothing to report to.
        }
        break;
      }
    }
  });
}
