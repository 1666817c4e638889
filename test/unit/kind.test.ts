/**
 * The host-dependent pieces of the kind cluster that need no Docker: the capability check, the
 * docker shim's flag rewriting (run as kind would call it, with `echo` standing in for docker), the
 * generated kind config, and the node image tag being a pure function of the pins.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterConfig } from '../../scripts/kind/cluster.ts';
import { hostFacts } from '../../scripts/kind/docker.ts';
import { planNodeImage } from '../../scripts/kind/node-image.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { KUBERNETES_VERSION } from '../../scripts/lib/tools/index.ts';

const shim = path.join(repoRoot, 'scripts', 'kind', 'docker-shim', 'docker');
const viaShim = (env: Record<string, string>, ...args: string[]) =>
  execFileSync(shim, args, { env: { ...process.env, BK_REAL_DOCKER: 'echo', ...env } }).toString().trim();

describe('host facts', () => {
  it('reads CAP_SYS_RESOURCE (bit 24) from the capability bounding set', () => {
    expect(hostFacts('CapBnd:\t000001ffffffffff\n').capSysResource).toBe(true);
    expect(hostFacts('CapBnd:\t000001fffeffffff\n').capSysResource).toBe(false);
  });
});

describe('docker shim (scripts/kind/docker-shim/docker)', () => {
  const noCap = { BK_SHIM_NO_PRIVILEGED: '1', BK_SHIM_NO_LIB_MODULES: '1' };

  it('rewrites --privileged on run into every capability but SYS_RESOURCE, unmasked system paths, all devices, /dev/kmsg', () => {
    const out = viaShim(noCap, 'run', '--name', 'n', '--privileged', '--security-opt', 'seccomp=unconfined', '--volume', '/var', '--volume', '/lib/modules:/lib/modules:ro', 'img');
    expect(out).toBe('run --name n --cap-add=ALL --cap-drop=SYS_RESOURCE --security-opt systempaths=unconfined --device-cgroup-rule=a *:* rwm --device=/dev/kmsg --security-opt seccomp=unconfined --volume /var img');
  });

  it('drops --privileged on exec and leaves the command alone', () => {
    expect(viaShim(noCap, 'exec', '--privileged', '-i', 'node', 'echo', '--privileged')).toBe('exec -i node echo --privileged');
  });

  it('passes everything through where the host needs no change', () => {
    expect(viaShim({}, 'run', '--privileged', '--volume', '/lib/modules:/lib/modules:ro', 'img')).toBe('run --privileged --volume /lib/modules:/lib/modules:ro img');
    expect(viaShim(noCap, 'ps', '-a')).toBe('ps -a');
  });
});

describe('kind config', () => {
  it('keeps dev/kind/cluster.yaml (name, loopback port mappings, registry config_path, failCgroupV1) and adds the offline settings', () => {
    const cfg = clusterConfig('bk-test', 'bk-kind-node:v1.36.4-abc', true) as {
      name: string;
      networking: { disableDefaultCNI: boolean };
      nodes: { image: string; extraPortMappings: { hostPort: number; containerPort: number; listenAddress: string }[] }[];
      containerdConfigPatches: string[];
      kubeadmConfigPatches: string[];
    };
    expect(cfg.name).toBe('bk-test');
    expect(cfg.networking.disableDefaultCNI).toBe(true);
    expect(cfg.nodes[0]!.image).toBe('bk-kind-node:v1.36.4-abc');
    expect(cfg.nodes[0]!.extraPortMappings.map((m) => `${m.listenAddress}:${m.hostPort}->${m.containerPort}`)).toEqual(['127.0.0.1:7007->30080', '127.0.0.1:8080->30081']);
    expect(cfg.containerdConfigPatches.join('\n')).toContain('config_path = "/etc/containerd/certs.d"');
    expect(cfg.kubeadmConfigPatches.join('\n')).toContain('failCgroupV1: false');
    expect(cfg.kubeadmConfigPatches.join('\n')).toMatch(/imageTag: "3\.6\.\d+-0"/);
  });

  it('uses kind defaults (its own CNI, kubeadm etcd tag) for a node image from a registry', () => {
    const cfg = clusterConfig('bk-test', 'kindest/node:v1.36.4', false) as { networking?: unknown; kubeadmConfigPatches: string[] };
    expect(cfg.networking).toBeUndefined();
    expect(cfg.kubeadmConfigPatches.join('\n')).not.toContain('imageTag');
  });
});

describe('node image tag', () => {
  it('is derived from the pins and files alone', () => {
    const a = planNodeImage();
    expect(a).toEqual(planNodeImage());
    expect(a.image).toMatch(new RegExp(`^bk-kind-node:${KUBERNETES_VERSION.replaceAll('.', '\\.')}-[0-9a-f]{12}$`));
  });
});
