/**
 * The api tier's control plane (kube-apiserver + etcd of the global setup) and helm pointed at it.
 *
 *   const cp = await controlPlaneHelm();   // in beforeAll
 *   await cp.helm(['install', 'x', dir, '--namespace', ns]);
 *   cp.kc.makeApiClient(k8s.CoreV1Api)
 */
import * as k8s from '@kubernetes/client-node';
import { inject } from 'vitest';
import { $ } from 'zx';
import { ensureTool } from '../../scripts/lib/tools/index.ts';

export interface ControlPlaneHelm {
  kc: k8s.KubeConfig;
  kubeconfigPath: string;
  /** The helm binary (for calls that inspect a failure themselves). */
  helmBin: string;
  /** Runs helm with the control plane's kubeconfig; a failure throws with helm's stderr. */
  helm(args: string[]): Promise<void>;
}

export async function controlPlaneHelm(): Promise<ControlPlaneHelm> {
  const cp = inject('controlPlane');
  const kc = new k8s.KubeConfig();
  kc.loadFromString(cp.kubeconfig);
  const helmBin = await ensureTool('helm');
  return {
    kc,
    kubeconfigPath: cp.kubeconfigPath,
    helmBin,
    async helm(args) {
      const out = await $({ quiet: true, nothrow: true })`${helmBin} ${args} --kubeconfig ${cp.kubeconfigPath}`;
      if (!out.ok) throw new Error(`helm ${args.slice(0, 2).join(' ')} failed:\n${out.stderr}`);
    },
  };
}
