import reactHooks from 'eslint-plugin-react-hooks';
import root from '../../eslint.config.mjs';

// The repository's rules, plus React's for the one React project: the rules of hooks, complete
// dependency lists, and the React Compiler's checks (no refs read or written during render, no
// state set synchronously in an effect, …). Every finding is an error, so lint passes with none.
const recommended = reactHooks.configs.flat.recommended;

export default [
  ...root,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: recommended.plugins,
    rules: Object.fromEntries(Object.keys(recommended.rules).map((rule) => [rule, 'error'])),
  },
];
