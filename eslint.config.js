// One lint config for src, test, examples and bench. Type-aware rules stay on:
// an unawaited promise in this library is a future that never settles or an error that is lost.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { layerLintConfig } from './scripts/layers.mjs';

export default tseslint.config(
  // test/fixtures/package/ is a user's project: test/package/install.test.ts compiles it under tsc --strict and runs it.
  { ignores: ['dist/**', 'docs/api/**', 'node_modules/**', 'bench/node_modules/**', 'bench/.build/**', 'coverage/**', 'scratch/**', 'test/fixtures/package/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'cjs/*.cjs', 'scripts/*.mjs', 'test/fixtures/*/*.mjs', 'examples/*.mjs', 'bench/cli/*.mjs'], maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 20 }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(fs|path|os|util|worker_threads|child_process|events|url|net|stream|readline|crypto|perf_hooks|v8|assert|http|https|zlib|timers)(/.*)?$', message: 'Use the node: protocol.' }] }],
    },
  },
  // The layers of src/ (docs/architecture.md): one rule per member of each layer, which also
  // keeps the node: protocol and says which folder alone imports bullmq, ioredis, commander.
  ...layerLintConfig(),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts', 'scripts/**/*.mjs'],
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] }],
    },
  },
);
