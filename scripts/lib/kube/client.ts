/**
 * Cluster access for the scripts: kubeconfig loading, the kind-context guard, and waiting.
 * Every read goes through @kubernetes/client-node; nothing parses kubectl output.
 */
import * as k8s from '@kubernetes/client-node';
import { notYet, poll, type PollOptions } from '../poll.ts';

export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
}

export function loadKubeConfig(t: KubeTarget = {}): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (t.kubeconfig) kc.loadFromFile(t.kubeconfig);
  else kc.loadFromDefault();
  if (t.context) {
    if (!kc.getContexts().some((c) => c.name === t.context)) {
      throw new Error(`kube context "${t.context}" not found; known: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'}. Pass --context <name> or --kubeconfig <file>.`);
    }
    kc.setCurrentContext(t.context);
  }
  if (!kc.getCurrentContext()) throw new Error('no current kube context: pass --context <name> or set KUBECONFIG');
  return kc;
}

/** True for contexts made by kind ("kind-<cluster>"). */
export function isKindContext(kc: k8s.KubeConfig): boolean {
  return kc.getCurrentContext().startsWith('kind-');
}

/** Refuses to touch a cluster that is not kind unless the user said --yes. */
export function guardContext(kc: k8s.KubeConfig, yes: boolean, action: string): void {
  if (isKindContext(kc) || yes) return;
  throw new Error(`refusing to ${action} on context "${kc.getCurrentContext()}", which is not a kind cluster. Re-run with --yes if you mean it, or pass --context kind-<name>.`);
}

export type WaitOptions = Omit<PollOptions, 'abortIf'>;

/** Polls `probe` until it returns true; it returns a string saying why not yet otherwise. */
export async function waitFor(what: string, probe: () => Promise<true | string>, opts: WaitOptions): Promise<void> {
  await poll(what, async () => {
    const r = await probe();
    return r === true ? true : notYet(r);
  }, { intervalMs: 1000, ...opts });
}

export function selector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function elapsed(startMs: number): string {
  const s = (Date.now() - startMs) / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${Math.round(s % 60)}s`;
}
