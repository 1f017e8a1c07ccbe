import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

// Browser benchmarks: measured and printed, never asserted on time, and not part of `npm test`.
//   npx vitest run -c test/e2e/vitest.bench.config.ts
export default defineConfig({ ...base, test: { ...base.test, include: ['test/e2e/*.bench.ts'], testTimeout: 300_000 } });
