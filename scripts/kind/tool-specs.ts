/**
 * Pinned Go builds for the offline kind node image (issue 9): the node agent and bootstrapper, the
 * container runtime, the CNI plugins and the programs of the add-on images. Registered into TOOLS
 * with one line in scripts/lib/tools/pins.ts, built by the same mechanism (wrapper modules under tools/,
 * CGO_ENABLED=0, -mod=readonly, -trimpath, -s -w) into the shared tools cache.
 *
 * None of them is ever taken from PATH: the node image must carry exactly these pins (a PATH
 * containerd is Debian's 1.6, a PATH kubectl any version). runc builds with cgo and Debian's static
 * libseccomp (gcc, libseccomp-dev: scripts/ci/apt.sh); pause is C (scripts/kind/native-tools.ts).
 */
import type { ToolSpec } from '../lib/tools/spec.ts';

export const KIND_KUBERNETES_VERSION = 'v1.36.4';
export const CONTAINERD_VERSION = 'v2.3.4';
export const RUNC_VERSION = 'v1.4.3';
export const CRICTL_VERSION = 'v1.36.0';
export const CNI_PLUGINS_VERSION = 'v1.9.1';
export const COREDNS_VERSION = 'v1.14.2';
/** v0.0.34 (what kind v0.33.0 ships) is refused by the Go module proxy (403); v0.0.30 is served. */
export const LOCAL_PATH_PROVISIONER_VERSION = 'v0.0.30';
/** The only kube-router v2 release the Go module proxy serves (v2.1.1+ and v2.0.x answer 403). */
export const KUBE_ROUTER_VERSION = 'v2.1.0';

/** The -X flags Kubernetes' own build (hack/lib/version.sh) sets, so `--version` reports the release. */
function kubeLdflags(v: string): string[] {
  const [major, minor] = v.replace(/^v/, '').split('.');
  const flags: string[] = [];
  for (const pkg of ['k8s.io/client-go/pkg/version', 'k8s.io/component-base/version']) {
    flags.push(`-X ${pkg}.gitVersion=${v}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`);
  }
  return flags;
}

function pinned(name: string, version: string, wrapper: string, pkg: string, ldflags: string[] = [], versionArgs = ['--version']): ToolSpec {
  return {
    name,
    version,
    versionArgs,
    accepts: () => false,
    wants: `${name} ${version} (pinned build for the kind node image)`,
    go: { wrapper, pkg, ldflags },
  };
}

const k8s = (name: string) => pinned(name, KIND_KUBERNETES_VERSION, 'tools/kubernetes', `k8s.io/kubernetes/cmd/${name}`, kubeLdflags(KIND_KUBERNETES_VERSION));

const containerdLdflags = [
  `-X github.com/containerd/containerd/v2/version.Version=${CONTAINERD_VERSION}`,
  '-X github.com/containerd/containerd/v2/version.Package=github.com/containerd/containerd/v2',
];
const containerd = (name: string) => pinned(name, CONTAINERD_VERSION, 'tools/containerd', `github.com/containerd/containerd/v2/cmd/${name}`, containerdLdflags);

/** CNI plugins are cached as cni-<plugin>; the node image installs them under their own names. */
const cni = (plugin: string, dir: 'main' | 'ipam' | 'meta') =>
  pinned(`cni-${plugin}`, CNI_PLUGINS_VERSION, 'tools/cni-plugins', `github.com/containernetworking/plugins/plugins/${dir}/${plugin}`, [
    `-X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=${CNI_PLUGINS_VERSION}`,
  ]);

export const KIND_NODE_TOOLS: Record<string, ToolSpec> = {
  kubelet: k8s('kubelet'),
  kubeadm: { ...k8s('kubeadm'), versionArgs: ['version', '-o', 'short'] },
  kubectl: { ...k8s('kubectl'), versionArgs: ['version', '--client'] },
  'kube-proxy': k8s('kube-proxy'),
  containerd: containerd('containerd'),
  'containerd-shim-runc-v2': { ...containerd('containerd-shim-runc-v2'), versionArgs: ['-v'] },
  ctr: containerd('ctr'),
  // runc as its Makefile builds it for a static release: cgo, seccomp, netgo/osusergo.
  runc: {
    ...pinned('runc', RUNC_VERSION, 'tools/runc', 'github.com/opencontainers/runc', [`-X main.version=${RUNC_VERSION.replace(/^v/, '')}`]),
    go: {
      wrapper: 'tools/runc',
      pkg: 'github.com/opencontainers/runc',
      ldflags: [`-X main.version=${RUNC_VERSION.replace(/^v/, '')}`],
      cgo: { tags: ['seccomp', 'netgo', 'osusergo', 'urfave_cli_no_docs'] },
    },
    wants: `runc ${RUNC_VERSION} (pinned cgo build for the kind node image; needs gcc and libseccomp-dev)`,
  },
  crictl: pinned('crictl', CRICTL_VERSION, 'tools/cri-tools', 'sigs.k8s.io/cri-tools/cmd/crictl', [`-X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_VERSION}`]),
  'cni-bridge': cni('bridge', 'main'),
  'cni-ptp': cni('ptp', 'main'),
  'cni-loopback': cni('loopback', 'main'),
  'cni-host-local': cni('host-local', 'ipam'),
  'cni-portmap': cni('portmap', 'meta'),
  // CoreVersion is a constant in coremain; nothing to stamp.
  coredns: pinned('coredns', COREDNS_VERSION, 'tools/coredns', 'github.com/coredns/coredns', [], ['-version']),
  'local-path-provisioner': pinned('local-path-provisioner', LOCAL_PATH_PROVISIONER_VERSION, 'tools/local-path-provisioner', 'github.com/rancher/local-path-provisioner', [
    `-X main.VERSION=${LOCAL_PATH_PROVISIONER_VERSION}`,
  ]),
  'kube-router': pinned('kube-router', KUBE_ROUTER_VERSION, 'tools/kube-router', 'github.com/cloudnativelabs/kube-router/v2/cmd/kube-router', [
    `-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=${KUBE_ROUTER_VERSION}`,
  ]),
};
