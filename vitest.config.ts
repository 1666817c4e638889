import { defineConfig } from 'vitest/config';

// Tiers are vitest projects: `npm test` runs all of them; `vitest run --project <name>` selects one.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
