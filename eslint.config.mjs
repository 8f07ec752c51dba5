import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

/** Which project may import which (Nx tags); `allow` lists imports exempt from the checks. */
const boundaries = (allow) => ({
  enforceBuildableLibDependency: false,
  allow,
  depConstraints: [
    { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['scope:shared'] },
    { sourceTag: 'scope:node', onlyDependOnLibsWithTags: ['scope:shared', 'scope:node'] },
  ],
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.data/**', '**/coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      // Apps log through pino; console output bypasses redaction and structure.
      'no-console': 'error',
      // Web must not import node-only code; libs must not import apps.
      '@nx/enforce-module-boundaries': ['error', boundaries([])],
    },
  },
  {
    // Type-aware rules for the mistakes types can see: a promise nobody awaits (its rejection
    // becomes an unhandled one), an async function where a callback's result is ignored (an
    // event emitter, a React handler), an await of a non-promise, a cast that changes nothing.
    // Each file is checked with the nearest tsconfig.json, which includes its tests.
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/only-throw-error': 'error',
      // Like only-throw-error's defaults: passing on a caught `unknown` is fine, a string is not.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
    },
  },
  {
    // The configuration reference (docs/configuration.md) is generated from each app's env schema, and from nothing else of an app.
    files: ['tools/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(['@taskflow/server/src/config', '@taskflow/worker/src/config'])] },
  },
  {
    // Test files and command-line tools may print to the terminal.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', 'libs/devstack/**', 'libs/*/src/cli.ts'],
    rules: { 'no-console': 'off' },
  },
);
