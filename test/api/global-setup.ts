/**
 * One control plane per `api` test run, shared by every file of the tier (fileParallelism is off).
 * Test files get its coordinates through vitest's provide/inject.
 */
import type { TestProject } from 'vitest/node';
import { startControlPlane } from '../support/control-plane.ts';

export interface ProvidedControlPlane {
  kubeconfig: string;
  kubeconfigPath: string;
  server: string;
  kubernetesVersion: string;
  nodeName: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    controlPlane: ProvidedControlPlane;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cp = await startControlPlane({ name: 'api', log: (l) => process.stderr.write(`${l}\n`) });
  project.provide('controlPlane', {
    kubeconfig: cp.kubeconfig,
    kubeconfigPath: cp.kubeconfigPath,
    server: cp.server,
    kubernetesVersion: cp.kubernetesVersion,
    nodeName: cp.nodeName,
  });
  return () => cp.stop();
}
