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
      {
        test: {
          // A real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
          // kwok) on loopback, started once per run by the global setup; see test/harness/controlplane.ts.
          name: 'api',
          include: ['test/api/**/*.test.ts'],
          globalSetup: ['test/api/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
