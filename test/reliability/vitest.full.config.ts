import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

// `npm run test:reliability -- --full`: the fault-injection suite alone, at its full sizes (see README.md here).
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['test/reliability/**/*.test.ts'],
      provide: { reliabilityScale: 'full' },
      testTimeout: 900_000,
    },
  }),
);
