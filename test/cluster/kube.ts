/**
 * API clients for the tier's kind cluster (the global setup provides its kubeconfig and context).
 *
 *   const { kc, core, apps, net } = clusterApi();
 */
import * as k8s from '@kubernetes/client-node';
import { inject } from 'vitest';

export function clusterApi() {
  const cluster = inject('cluster');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  kc.setCurrentContext(cluster.context);
  return {
    cluster,
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    net: kc.makeApiClient(k8s.NetworkingV1Api),
  };
}
