import { defineConfig } from 'vitest/config';

// Tiers are vitest projects: `npm test` runs all of them; `vitest run --project <name>` selects one.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          globalSetup: ['test/support/subchart-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
      // The Backstage app of backstage/ as a real backend process (built by npm run backstage:build).
      {
        test: {
          name: 'backstage',
          include: ['test/backstage/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      // SSO tier: real Keycloak, oauth2-proxy, PostgreSQL and Chromium on loopback (test/support/).
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
      {
        test: {
          // A real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
          // kwok) on loopback, started once per run by the global setup; see test/support/control-plane.ts.
          name: 'api',
          include: ['test/api/**/*.test.ts'],
          globalSetup: ['test/support/subchart-setup.ts', 'test/api/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      // Release tier: `npm run release` into an OCI registry process the test starts on a free
      // 127.0.0.1 port, with a generated cosign key pair, then verified as a user would (cosign,
      // helm pull by digest). Needs Docker and the built images; one file at a time.
      {
        test: {
          name: 'release',
          include: ['test/release/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 900_000,
        },
      },
      // Cluster tier: a real kind cluster on the offline node image (scripts/kind/), created once per
      // run by test/cluster/global-setup.ts and deleted at the end (BK_KEEP_CLUSTER=1 keeps it), and
      // the Docker-built images (test/images). One file at a time: heavy on 2 cores.
      {
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts', 'test/images/**/*.test.ts'],
          globalSetup: ['test/support/subchart-setup.ts', 'test/cluster/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
