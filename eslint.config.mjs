// ESLint for the whole tree (apps, libs, tools, scripts, bench, test/support and their tests), with type information
// from tsconfig.base.json. `npm run lint` runs it with --max-warnings 0, and so does `npm test`.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import { boundaries } from './scripts/eslint-boundaries.mjs';

/** The tests: specs, the apps' e2e folders and the e2e support they share (test/support). */
const TESTS = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'apps/*/test/**/*.ts', 'test/**/*.ts'];

export default defineConfig(
  { ignores: ['dist/', 'dist-bench/', 'coverage/', '.dev/', 'bench/results/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.base.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX, tenantry: boundaries },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.base.json' })],
      'import-x/internal-regex': '^@tenantry/',
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Off: an async function that implements a Promise-returning port (a protector, a token
      // credential, a saga hook) without awaiting is still right to be async: a throw in it becomes
      // a rejection, which is what its callers handle.
      '@typescript-eslint/require-await': 'off',
      // Packages and aliases in one alphabetical block, then the unit's own files: the order most of the tree already had.
      'import-x/order': [
        'error',
        {
          groups: [['builtin', 'external', 'internal'], 'parent', 'sibling', 'index'],
          'newlines-between': 'never',
          alphabetize: { order: 'asc', caseInsensitive: true },
        },
      ],
      'import-x/no-duplicates': ['error', { 'prefer-inline': true }],
      'tenantry/boundaries': 'error',
    },
  },
  {
    files: TESTS,
    rules: {
      // Tests read JSON answers and query rows whose shape their assertions check at run time
      // (toEqual, toMatchObject); typing each one would restate every assertion as a type.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The config files themselves are plain ES modules outside the TypeScript project.
    files: ['**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
