// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises',
  'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers',
  'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];

// Import patterns for our own folders, however deep the importing file sits: `../../src/api/x.ts` from activities/
// or db/, `../api/x.ts` from a sibling under src/, `../../api/x.ts` from src/api/routes/.
const src = (...folders) => folders.flatMap((f) => [`**/src/${f}/**`, `../${f}/**`, `../../${f}/**`]);
const top = (...folders) => folders.map((f) => `**/${f}/**`);
const noSql = { name: 'kysely', message: 'SQL lives in db/repositories: call a repository function.' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'src/web/dist/**', '.state/**', 'bench/.baseline/**'] },
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
        patterns: [
          { group: ['node:fs*', 'node:net', 'node:http*', 'node:child_process', 'fs', 'fs/*', 'net', 'http', 'https', 'child_process'], message: 'pure code: no I/O' },
          {
            group: [...top('db', 'activities', 'workflows', 'test', 'bench'), ...src('api', 'cli', 'services', 'publishing', 'evidence', 'accounts', 'claims-client', 'worker', 'config', 'logging', 'web')],
            message: 'src/domain and src/extraction are the bottom layer: they import only each other.',
          },
        ],
      }],
    },
  },
  {
    // The data layer sits under everything but src/domain (its literal unions type the columns).
    files: ['db/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          group: [...top('activities', 'workflows', 'test', 'bench'), ...src('api', 'cli', 'services', 'publishing', 'evidence', 'accounts', 'claims-client', 'worker', 'config', 'logging', 'extraction', 'web')],
          message: 'db/ imports nothing of ours above it (only src/domain).',
        }],
      }],
    },
  },
  {
    // Side effects use repositories, publishing and the domain; never the HTTP layer, the CLI or provisioning.
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noSql],
        patterns: [{
          group: [...top('workflows', 'test', 'bench'), ...src('api', 'cli', 'services', 'claims-client', 'worker', 'web')],
          message: 'activities/ import repositories, publishing and domain code, not the API, the CLI or provisioning.',
        }],
      }],
    },
  },
  {
    files: ['src/api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noSql],
        patterns: [{
          group: [...top('activities', 'workflows', 'test', 'bench'), ...src('cli', 'services', 'worker', 'web')],
          message: 'src/api imports repositories, publishing, domain code and the claims client; not activities, the CLI or provisioning.',
        }],
      }],
    },
  },
  {
    // Shared by the API and the activities, so it may depend on neither.
    files: ['src/publishing/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noSql],
        patterns: [{
          group: [...top('activities', 'workflows', 'test', 'bench'), ...src('api', 'cli', 'services', 'claims-client', 'accounts', 'worker', 'web')],
          message: 'src/publishing is used by the API and the activities: it imports only repositories and domain code.',
        }],
      }],
    },
  },
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: top('test'), message: 'benchmarks must not depend on test code.' }] }],
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
