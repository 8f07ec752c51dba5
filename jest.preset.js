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
  // Node ≥ 20.19 requires ES modules from CommonJS; Jest (before Node 24.9) cannot, so the few ESM-only
  // packages a CommonJS dependency requires (content-disposition 3, under @fastify/static) go through SWC too.
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  testMatch: ['<rootDir>/src/**/*.spec.ts?(x)', '<rootDir>/src/**/*.int-spec.ts?(x)'],
  reporters: ['default', require.resolve('./infra/jest/summary-reporter.js')],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'mjs', 'cjs', 'json'],
};
