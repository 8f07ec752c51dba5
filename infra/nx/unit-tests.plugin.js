// Nx plugin (registered in nx.json): every project with a jest.config.js gets a
// `test:unit` target that runs only its *.spec.ts(x) files — no PostgreSQL, Redis or
// browser — cached by Nx, so `npm run test:unit` re-runs only projects whose inputs
// changed. The full suite (`npm test`, with every *.int-spec) stays the `test` target.
const path = require('node:path');

const target = (root) => ({
  command: 'jest --testPathIgnorePatterns=\\.int-spec\\. --passWithNoTests',
  options: { cwd: root },
  cache: true,
  // A change to an integration test cannot change a unit test's result.
  inputs: ['default', `!{projectRoot}/**/*.int-spec.ts`, `!{projectRoot}/**/*.int-spec.tsx`, '^production'],
  outputs: [],
});

module.exports = {
  name: 'taskflow-unit-tests',
  createNodes: [
    '**/jest.config.js',
    (files) =>
      files
        .filter((file) => path.dirname(file) !== '.')
        .map((file) => {
          const root = path.dirname(file);
          return [file, { projects: { [root]: { targets: { 'test:unit': target(root) } } } }];
        }),
  ],
};
