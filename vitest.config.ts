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
      // SSO tier: real Keycloak, oauth2-proxy, PostgreSQL and Chromium on loopback (test/harness/).
      // One file at a time: the processes are heavy on 2 cores and share the tools cache.
      {
        test: {
          name: 'sso',
          include: ['test/sso/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 420_000,
          fileParallelism: false,
          sequence: { concurrent: false },
        },
      },
    ],
  },
});
