// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises',
  'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers',
  'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'src/web/dist/**', '.state/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed; it must not touch I/O, clocks or databases directly.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.map((name) => ({ name, message: 'workflows/ must stay deterministic: no Node built-ins.' })),
          { name: 'pg', message: 'workflows/ must not talk to Postgres; use an activity.' },
          { name: 'kysely', message: 'workflows/ must not talk to Postgres; use an activity.' },
        ],
        patterns: [
          { group: ['node:*'], message: 'workflows/ must stay deterministic: no Node built-ins.' },
          { group: ['**/db/**', '**/src/api/**', '**/src/services/**', '**/src/config/**'], message: 'workflows/ may import only @temporalio/workflow, src/domain and activity types.' },
        ],
      }],
    },
  },
  {
    // Migrations are frozen snapshots: they take Kysely<any> so they never depend on today's schema types.
    files: ['db/migrations/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/domain/**/*.ts', 'src/extraction/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'pg', message: 'pure code: no I/O' }, { name: 'kysely', message: 'pure code: no I/O' }],
        patterns: [{ group: ['node:fs*', 'node:net', 'node:http*', 'node:child_process', 'fs', 'fs/*', 'net', 'http', 'https', 'child_process'], message: 'pure code: no I/O' }],
      }],
    },
  },
  {
    // The browser app: hooks rules, and none of the server's modules or Node's built-ins (they would not run there).
    files: ['src/web/**/*.ts', 'src/web/**/*.tsx'],
    ignores: ['src/web/vite.config.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.map((name) => ({ name, message: 'src/web runs in the browser: no Node built-ins.' })),
          { name: 'pg', message: 'src/web talks to the API, never to Postgres.' },
          { name: 'kysely', message: 'src/web talks to the API, never to Postgres.' },
        ],
        patterns: [
          { group: ['node:*'], message: 'src/web runs in the browser: no Node built-ins.' },
          { group: ['@temporalio/*'], message: 'src/web talks to the API, never to Temporal.' },
          { group: ['**/db', '**/db/**', '**/src/api/**', '**/src/services/**', '**/src/config/**', '**/activities/**', '**/workflows/**'], message: 'src/web may not import server code.' },
        ],
      }],
    },
  },
);
