/** Shared Jest settings: TypeScript through SWC, workspace packages resolved to their sources. */
module.exports = {
  testEnvironment: 'node',
  testEnvironmentOptions: { customExportConditions: ['taskflow-source', 'node', 'require', 'default'] },
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', tsx: true },
          target: 'es2022',
          transform: { react: { runtime: 'automatic' } },
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts?(x)', '<rootDir>/src/**/*.int-spec.ts?(x)'],
  // Most tests touch PostgreSQL, Redis, a process or a socket: Jest's 5 s default fails them on a busy machine.
  // A ceiling for hangs, not an expected duration; slower files set their own budgets (3x their idle time).
  testTimeout: 60_000,
  setupFilesAfterEnv: [
    require.resolve('./infra/jest/budget-recorder.js'),
    // Ends each test's child processes (spawnTestProcess) when the test, or their describe block, ends.
    require.resolve('./libs/testing/src/test-process.jest-setup.ts'),
    // A Redis command rejected after its client closed names its sender, not only ioredis's frames.
    require.resolve('./libs/testing/src/redis-stacks.jest-setup.ts'),
  ],
  reporters: [
    'default',
    require.resolve('./infra/jest/summary-reporter.js'),
    // Prints each slow file's duration, and each test using more than a third of its budget.
    require.resolve('./infra/jest/durations-reporter.js'),
  ],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'mjs', 'cjs', 'json'],
};
