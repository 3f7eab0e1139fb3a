// ESLint (flat config) for the page's sources and tests: the recommended rules plus
// no-use-before-define (every name is declared before the code that uses it, closures included).
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
    rules: {
      'no-use-before-define': ['error', { functions: true, classes: true, variables: true }],
    },
  },
  {
    files: ['test/**/*.js', 'plugins/**/*.js', 'vite.config.js', 'eslint.config.js'],
    languageOptions: { globals: { ...globals.node } },
  },
];
