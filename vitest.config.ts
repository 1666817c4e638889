import { defineConfig } from 'vitest/config';

// Tiers are vitest projects: `npm test` runs all of them; `vitest run --project <name>` selects one.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
