import { testProcessScopes } from './test-process';

/**
 * Ends the child processes of each test when it ends, and those of each describe block (beforeAll,
 * the file itself) when the block ends — after the test file's own afterEach/afterAll hooks, which
 * stop them in order first. Jest Circus's events come after those hooks, hooks of a setup file run
 * before them; Circus keeps its event handlers in a global array (Symbol.for, shared by every copy of
 * Circus) that a setup file can join without replacing the test environment, as budget-recorder.js does.
 */
interface CircusEvent {
  name: string;
  test?: object;
  describeBlock?: object;
}
const handlers = (globalThis as unknown as Record<symbol, unknown>)[Symbol.for('EVENT_HANDLERS')];

if (Array.isArray(handlers)) {
  testProcessScopes.attach();
  handlers.push(async (event: CircusEvent) => {
    try {
      await handle(event);
    } catch (err) {
      // Not a reason to stop the run: what survives is reported by `npm test`'s leftover check.
      process.stderr.write(`[test-process] ending child processes failed: ${String(err)}\n`);
    }
  });
}

async function handle(event: CircusEvent): Promise<void> {
  switch (event.name) {
    case 'run_describe_start':
      testProcessScopes.suiteStarted(event.describeBlock!);
      break;
    // `test_started`, not `test_start`: a skipped test gets the latter but never `test_done`.
    case 'test_started':
      testProcessScopes.testStarted(event.test!);
      break;
    case 'test_done':
      await testProcessScopes.testDone(event.test!);
      break;
    case 'run_describe_finish':
      await testProcessScopes.suiteDone(event.describeBlock!);
      break;
  }
}
