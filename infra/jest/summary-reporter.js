// Writes each project's test counts to TASKFLOW_TEST_REPORT_DIR so `npm test`
// can print one total line across projects (Nx runs each project's Jest alone),
// and name every failed test at the end, where a truncated CI log still shows it.
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }
  onRunComplete(_contexts, results) {
    const dir = process.env.TASKFLOW_TEST_REPORT_DIR;
    if (!dir) return;
    fs.mkdirSync(dir, { recursive: true });
    const name = path.relative(path.resolve(__dirname, '../..'), this.rootDir).replace(/[\\/]/g, '-');
    const summary = {
      project: name,
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      failures: results.testResults.flatMap((file) => {
        const where = path.relative(path.resolve(__dirname, '../..'), file.testFilePath);
        // Without the colours Jest puts in its messages: this line is read in plain logs.
        const plain = (text) => (text ?? '').replace(/\u001b\[[0-9;]*m/g, '');
        const firstLine = (text) =>
          plain(text)
            .split('\n')
            .find((l) => l.trim()) ?? '';
        if (file.testExecError) return [`${where}: ${firstLine(file.testExecError.message)}`];
        return file.testResults
          .filter((t) => t.status === 'failed')
          .map((t) => `${where} › ${t.fullName}: ${firstLine(t.failureMessages[0]).slice(0, 300)}`);
      }),
    };
    fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(summary));
  }
}
module.exports = SummaryReporter;
