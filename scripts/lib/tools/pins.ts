/**
 * Pinned tools: versions, build flags, download locations and sha256 checksums. DATA ONLY: how a
 * pin is found or installed lives in resolve.ts and install.ts. The CI cache key hashes this file
 * and the wrapper modules' go.sum files, so a changed pin rebuilds and nothing else does.
 *
 * Keycloak (a Java distribution from Maven Central) and the Java runtime it needs are pinned at the
 * end, next to the binaries.
 */
import { atLeast, parseVersion, type Download, type ToolSpec } from './spec.ts';

// `// renovate: datasource=... depName=...` above a constant lets Renovate propose its updates
// (renovate.json), grouped with the wrapper module's go.mod of the same module.

// Helm 4.2: v4.2.4 is the newest 4.2 patch the Go module proxy serves (checked 2026-12-07; v4.3.x
// is the next minor, not a patch). Helm 3: v3.22.1 is the newest 3.22 patch (was v3.22.0).
// renovate: datasource=go depName=helm.sh/helm/v4
export const HELM_VERSION = 'v4.2.4';
// renovate: datasource=go depName=github.com/oauth2-proxy/oauth2-proxy/v7
export const OAUTH2_PROXY_VERSION = 'v7.15.6';
// renovate: datasource=go depName=helm.sh/helm/v3
export const HELM3_VERSION = 'v3.22.1';
// renovate: datasource=go depName=github.com/rhysd/actionlint
export const ACTIONLINT_VERSION = 'v1.7.12';

// ---- control plane (test tier `api`) and kind: versions -------------------------------------------
// Kubernetes: v1.36.4. Checked 2026-12-07: v1.36.5 is now served AND verifies against the checksum
// database (`go mod download k8s.io/kubernetes@v1.36.5` succeeds; go 1.26.0 in its go.mod); v1.36.6
// answers 403. Not bumped yet: a new Kubernetes patch rebuilds the control-plane binaries (~10 min)
// and the offline kind node image (~35 min cold), a CI-time decision for its own change. kwok v0.8.0
// supports Kubernetes up to 1.36. etcd: the newest 3.6 patch (Kubernetes 1.36 ships with etcd 3.6.x).
// renovate: datasource=go depName=k8s.io/kubernetes
export const KUBERNETES_VERSION = 'v1.36.4';
// renovate: datasource=go depName=go.etcd.io/etcd/server/v3
export const ETCD_VERSION = 'v3.6.16';
// renovate: datasource=go depName=sigs.k8s.io/kwok
export const KWOK_VERSION = 'v0.8.0';
// renovate: datasource=go depName=sigs.k8s.io/kind
export const KIND_VERSION = 'v0.33.0';

/** The -X flags Kubernetes' own build (hack/lib/version.sh) sets, so `--version` reports the release. */
function kubeVersionLdflags(v: string): string[] {
  const [major, minor] = v.replace(/^v/, '').split('.');
  const flags: string[] = [];
  for (const pkg of ['k8s.io/client-go/pkg/version', 'k8s.io/component-base/version']) {
    flags.push(`-X ${pkg}.gitVersion=${v}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`);
  }
  return flags;
}

function controlPlaneTool(name: 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler'): ToolSpec {
  return {
    name,
    version: KUBERNETES_VERSION,
    versionArgs: ['--version'],
    // Exactly the pinned release: the api tier reports which Kubernetes it proved the chart against.
    accepts: (r) => r.trim() === `Kubernetes ${KUBERNETES_VERSION}`,
    wants: `${name} ${KUBERNETES_VERSION}`,
    go: { wrapper: 'tools/kubernetes', pkg: `k8s.io/kubernetes/cmd/${name}`, ldflags: kubeVersionLdflags(KUBERNETES_VERSION) },
    // No download: dl.k8s.io serves these for Linux only and no sha256 is pinned here.
  };
}

function kwokTool(name: 'kwok' | 'kwokctl', sha256: Download['sha256']): ToolSpec {
  return {
    name,
    version: KWOK_VERSION,
    versionArgs: ['--version'],
    // kwokctl's flags and the binary runtime's component arguments are release specific.
    accepts: (r) => r.includes(`${KWOK_VERSION} `),
    wants: `${name} ${KWOK_VERSION}`,
    go: {
      wrapper: 'tools/kwok',
      pkg: `sigs.k8s.io/kwok/cmd/${name}`,
      // hack/releases.sh stamps both; KubeVersion is the default cluster version of kwokctl.
      ldflags: [`-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION}`, `-X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${KUBERNETES_VERSION}`],
    },
    download: {
      url: (p) => `https://github.com/kubernetes-sigs/kwok/releases/download/${KWOK_VERSION}/${name}-${p}`,
      sha256,
    },
  };
}
// ---- end control plane versions --------------------------------------------------------------

// ---- image pipeline: the local OCI registry --------------------------------------------------
// Debian base of every image and of the kind node: the suite `bookworm` (scripts/images/debian.ts),
// no point release pinned: each rootfs is dist-upgraded from the mirror when it is built (cached by
// its inputs; `npm run images -- build --refresh-base` rebuilds). Checked 2026-12-07: the mirror
// serves 12.15 and the cached images carry 12.15; bookworm is now oldstable (trixie would be a new
// major, not a patch).
// registry: the CNCF `distribution` OCI registry (github.com/distribution/distribution/v3
// cmd/registry), pinned by tools/registry/go.mod; it serves the local registry on 127.0.0.1:5001
// that the images and the packaged chart are pushed to (scripts/images/).
// renovate: datasource=go depName=github.com/distribution/distribution/v3
export const REGISTRY_VERSION = 'v3.1.2';

const REGISTRY_TOOL: ToolSpec = {
  name: 'registry',
  version: REGISTRY_VERSION,
  versionArgs: ['--version'],
  // Prints e.g. "registry github.com/distribution/distribution/v3 v3.1.2". Only the pinned release:
  // it is copied into an image whose tag names that version.
  accepts: (r) => r.trim().endsWith(` ${REGISTRY_VERSION}`),
  wants: `registry (distribution) ${REGISTRY_VERSION}`,
  go: {
    wrapper: 'tools/registry',
    pkg: 'github.com/distribution/distribution/v3/cmd/registry',
    // As distribution's Makefile stamps a release build.
    ldflags: [`-X github.com/distribution/distribution/v3/version.version=${REGISTRY_VERSION}`],
  },
  // No download fallback: the project publishes no pinned checksum for the release archives.
};
// ---- end image pipeline ----------------------------------------------------------------------

// ---- release: signing and SBOMs (npm run release, issue 21) ----------------------------------
// cosign: the newest release the Go module proxy serves whose module builds with this project's Go
// (go 1.26.0 in its go.mod; checked 2026-12-07: the /v3 list is v3.1.1-v3.1.3, /v2 ends at v2.6.5).
// syft: the newest release served (v1.57.2; its go.mod needs go 1.26.8, the Go installed here).
// renovate: datasource=go depName=github.com/sigstore/cosign/v3
export const COSIGN_VERSION = 'v3.1.3';
// renovate: datasource=go depName=github.com/anchore/syft
export const SYFT_VERSION = 'v1.57.2';

const RELEASE_TOOLS: Record<string, ToolSpec> = {
  cosign: {
    name: 'cosign',
    version: COSIGN_VERSION,
    versionArgs: ['version', '--json'],
    // Exactly the pinned release: the signature and attestation formats it writes are what the
    // README's verify commands and the release test check.
    accepts: (r) => r.includes(`"gitVersion": "${COSIGN_VERSION}"`) || r.includes(`"gitVersion":"${COSIGN_VERSION}"`),
    wants: `cosign ${COSIGN_VERSION}`,
    go: {
      wrapper: 'tools/cosign',
      pkg: 'github.com/sigstore/cosign/v3/cmd/cosign',
      // As cosign's Makefile stamps a release build (release-utils' version package).
      ldflags: [`-X sigs.k8s.io/release-utils/version.gitVersion=${COSIGN_VERSION}`, '-X sigs.k8s.io/release-utils/version.gitTreeState=clean'],
    },
    // No download fallback: no pinned checksum for the release binaries.
  },
  syft: {
    name: 'syft',
    version: SYFT_VERSION,
    versionArgs: ['version'],
    // Exactly the pinned release: its catalogers decide what the SBOMs list.
    accepts: (r) => new RegExp(`^Version:\\s+${SYFT_VERSION.replace(/^v/, '').replace(/\./g, '\\.')}$`, 'm').test(r),
    wants: `syft ${SYFT_VERSION}`,
    go: {
      wrapper: 'tools/syft',
      pkg: 'github.com/anchore/syft/cmd/syft',
      // As syft's .goreleaser.yaml stamps a release build (version without the "v").
      ldflags: [`-X main.version=${SYFT_VERSION.replace(/^v/, '')}`],
    },
  },
};
// ---- end release ------------------------------------------------------------------------------

// ---- the offline kind node image (issue 9; scripts/kind/) ------------------------------------
// The node agent and bootstrapper (Kubernetes: KUBERNETES_VERSION above), the container runtime, the
// CNI plugins and the programs of the add-on images, built by the same mechanism (wrapper modules
// under tools/, CGO_ENABLED=0, -mod=readonly, -trimpath, -s -w) into the shared tools cache.
// None of them is ever taken from PATH: the node image must carry exactly these pins (a PATH
// containerd is Debian's 1.6, a PATH kubectl any version). runc builds with cgo and Debian's static
// libseccomp (gcc, libseccomp-dev: scripts/ci/apt.sh); pause is C (scripts/kind/native-tools.ts).
// renovate: datasource=go depName=github.com/containerd/containerd/v2
export const CONTAINERD_VERSION = 'v2.3.4';
// renovate: datasource=go depName=github.com/opencontainers/runc
export const RUNC_VERSION = 'v1.4.3';
// renovate: datasource=go depName=sigs.k8s.io/cri-tools
export const CRICTL_VERSION = 'v1.36.0';
// renovate: datasource=go depName=github.com/containernetworking/plugins
export const CNI_PLUGINS_VERSION = 'v1.9.1';
// renovate: datasource=go depName=github.com/coredns/coredns
export const COREDNS_VERSION = 'v1.14.2';
/** v0.0.34 (what kind v0.33.0 ships) is refused by the Go module proxy (403); v0.0.30 is served. */
// renovate: datasource=go depName=github.com/rancher/local-path-provisioner
export const LOCAL_PATH_PROVISIONER_VERSION = 'v0.0.30';
/** The only kube-router v2 release the Go module proxy serves (v2.1.1+ and v2.0.x answer 403). */
// renovate: datasource=go depName=github.com/cloudnativelabs/kube-router/v2
export const KUBE_ROUTER_VERSION = 'v2.1.0';
/** The pause version kubeadm of KUBERNETES_VERSION lists (cmd/kubeadm/app/constants: PauseVersion). */
export const PAUSE_IMAGE_TAG = '3.10.2';

function nodeTool(name: string, version: string, wrapper: string, pkg: string, ldflags: string[] = [], versionArgs = ['--version']): ToolSpec {
  return {
    name,
    version,
    versionArgs,
    accepts: () => false,
    wants: `${name} ${version} (pinned build for the kind node image)`,
    go: { wrapper, pkg, ldflags },
  };
}

const k8s = (name: string) => nodeTool(name, KUBERNETES_VERSION, 'tools/kubernetes', `k8s.io/kubernetes/cmd/${name}`, kubeVersionLdflags(KUBERNETES_VERSION));

const containerdLdflags = [
  `-X github.com/containerd/containerd/v2/version.Version=${CONTAINERD_VERSION}`,
  '-X github.com/containerd/containerd/v2/version.Package=github.com/containerd/containerd/v2',
];
const containerd = (name: string) => nodeTool(name, CONTAINERD_VERSION, 'tools/containerd', `github.com/containerd/containerd/v2/cmd/${name}`, containerdLdflags);

/** CNI plugins are cached as cni-<plugin>; the node image installs them under their own names. */
const cni = (plugin: string, dir: 'main' | 'ipam' | 'meta') =>
  nodeTool(`cni-${plugin}`, CNI_PLUGINS_VERSION, 'tools/cni-plugins', `github.com/containernetworking/plugins/plugins/${dir}/${plugin}`, [
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
    ...nodeTool('runc', RUNC_VERSION, 'tools/runc', 'github.com/opencontainers/runc', [`-X main.version=${RUNC_VERSION.replace(/^v/, '')}`]),
    go: {
      wrapper: 'tools/runc',
      pkg: 'github.com/opencontainers/runc',
      ldflags: [`-X main.version=${RUNC_VERSION.replace(/^v/, '')}`],
      cgo: { tags: ['seccomp', 'netgo', 'osusergo', 'urfave_cli_no_docs'] },
    },
    wants: `runc ${RUNC_VERSION} (pinned cgo build for the kind node image; needs gcc and libseccomp-dev)`,
  },
  crictl: nodeTool('crictl', CRICTL_VERSION, 'tools/cri-tools', 'sigs.k8s.io/cri-tools/cmd/crictl', [`-X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_VERSION}`]),
  'cni-bridge': cni('bridge', 'main'),
  'cni-ptp': cni('ptp', 'main'),
  'cni-loopback': cni('loopback', 'main'),
  'cni-host-local': cni('host-local', 'ipam'),
  'cni-portmap': cni('portmap', 'meta'),
  // CoreVersion is a constant in coremain; nothing to stamp.
  coredns: nodeTool('coredns', COREDNS_VERSION, 'tools/coredns', 'github.com/coredns/coredns', [], ['-version']),
  'local-path-provisioner': nodeTool('local-path-provisioner', LOCAL_PATH_PROVISIONER_VERSION, 'tools/local-path-provisioner', 'github.com/rancher/local-path-provisioner', [
    `-X main.VERSION=${LOCAL_PATH_PROVISIONER_VERSION}`,
  ]),
  'kube-router': nodeTool('kube-router', KUBE_ROUTER_VERSION, 'tools/kube-router', 'github.com/cloudnativelabs/kube-router/v2/cmd/kube-router', [
    `-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=${KUBE_ROUTER_VERSION}`,
  ]),
};
// ---- end kind node image ---------------------------------------------------------------------

export const TOOLS: Record<string, ToolSpec> = {
  helm: {
    name: 'helm',
    version: HELM_VERSION,
    versionArgs: ['version', '--template', '{{.Version}}'],
    // Helm 3.18+ validates draft 2020-12 schemas strictly, like Helm 4; older ones do not.
    accepts: (r) => {
      const v = parseVersion(r);
      return v !== undefined && (v[0] >= 4 || (v[0] === 3 && atLeast(v, [3, 18, 0])));
    },
    wants: 'helm v4.x or v3.18+',
    go: {
      wrapper: 'tools/helm',
      pkg: 'helm.sh/helm/v4/cmd/helm',
      ldflags: [`-X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}`],
    },
    download: {
      url: (p) => `https://get.helm.sh/helm-${HELM_VERSION}-${p}.tar.gz`,
      // From the v4.2.4 release notes (github.com/helm/helm/releases/tag/v4.2.4), which list the
      // get.helm.sh .sha256sum of each archive.
      sha256: {
        'linux-amd64': 'c306b46f719b0a4da32d0f78ee21bf90ce8d602f15b22ab753f0674d1670a7f3',
        'linux-arm64': '564de2191b881e9f71b5606b25345821ea1682f06ab90499d3ab22b530176da1',
        'darwin-amd64': '6c163d687ca03c3b5c01928e53bbbcf9518278f47ce7a2f249a5a08e8bdaa2bc',
        'darwin-arm64': 'd747eb4e28bd2727173d15b759fa0a17822291ec09db7ced3d55af290a3661a2',
      },
      member: (p) => `${p}/helm`,
    },
  },
  // Helm 3 is supported too (3.18+); this pinned build lets the tests prove it. Never taken from
  // PATH: a PATH `helm3` could be anything.
  helm3: {
    name: 'helm3',
    version: HELM3_VERSION,
    versionArgs: ['version', '--template', '{{.Version}}'],
    accepts: () => false,
    wants: `helm ${HELM3_VERSION}`,
    buildRev: 'b2',
    go: {
      wrapper: 'tools/helm3',
      pkg: 'helm.sh/helm/v3/cmd/helm',
      // As Helm's own release build does: without the Kubernetes version stamps, `helm template`
      // assumes Kubernetes v1.20 (client-go v0.37 -> 1.37).
      ldflags: [
        `-X helm.sh/helm/v3/internal/version.version=${HELM3_VERSION}`,
        '-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1',
        '-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37',
        '-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1',
        '-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37',
      ],
    },
  },
  'oauth2-proxy': {
    name: 'oauth2-proxy',
    version: OAUTH2_PROXY_VERSION,
    versionArgs: ['--version'],
    // Exactly the version the chart pins: the SSO tier claims to exercise that release.
    accepts: (r) => r.includes(`oauth2-proxy ${OAUTH2_PROXY_VERSION} `),
    wants: `oauth2-proxy ${OAUTH2_PROXY_VERSION}`,
    go: {
      wrapper: 'tools/oauth2-proxy',
      pkg: 'github.com/oauth2-proxy/oauth2-proxy/v7',
      ldflags: [`-X github.com/oauth2-proxy/oauth2-proxy/v7/pkg/version.VERSION=${OAUTH2_PROXY_VERSION}`],
    },
    // No download for v7.15.6: its release checksums could not be read from this offline workplace,
    // and an archive is never installed without a pinned sha256. The bootstrap builds it from the Go
    // module proxy (go.sum, checked against the checksum database) wherever Go >= 1.26 is present.
  },
  // ---- control plane (test tier `api`) and kind ----------------------------------------------
  // Built from the Go module proxy by the wrapper modules tools/{kubernetes,etcd,kwok,kind}
  // (tools/kubernetes pins every k8s.io/* staging module to its published v0.x.y twin).
  'kube-apiserver': controlPlaneTool('kube-apiserver'),
  'kube-controller-manager': controlPlaneTool('kube-controller-manager'),
  'kube-scheduler': controlPlaneTool('kube-scheduler'),
  etcd: {
    name: 'etcd',
    version: ETCD_VERSION,
    versionArgs: ['--version'],
    accepts: (r) => new RegExp(`^etcd Version: ${ETCD_VERSION.replace(/^v/, '').replace(/\./g, '\\.')}$`, 'm').test(r),
    wants: `etcd ${ETCD_VERSION}`,
    go: { wrapper: 'tools/etcd', pkg: 'go.etcd.io/etcd/server/v3' },
  },
  // sha256 values: stated for these exact release assets in public material (see tools/README.md).
  kwok: kwokTool('kwok', {
    'linux-amd64': 'f5a4385a2ae1b9dd7f8acae18e002a75c0ebba124ae9d7259aa8dadb50711f46',
    'linux-arm64': '628f7d277860f524a2a775c217adcc58828e7b59ab0933680315784f1b8b0e37',
    'darwin-arm64': '69a064ec98d37844d9d742b5b28ff57825659a983ccc3e208daa6948b94d64ba',
  }),
  kwokctl: kwokTool('kwokctl', {
    'linux-amd64': 'd5743166c657283d6e827c7c4c20cacfd9009fd94830f06718ca7b2c7099461f',
    'linux-arm64': '5a642b27d3e975f36040d215640cd90fb4a63cb6fca0ad5865a61bcd9c81051b',
    'darwin-arm64': '9323a59adb9c27854bd2a76652ad00258bcbb68acc40aba0dc21e362b67b7d6a',
  }),
  kind: {
    name: 'kind',
    version: KIND_VERSION,
    versionArgs: ['version'],
    // Any kind from v0.30 on creates the clusters the kind smoke test needs.
    accepts: (r) => {
      const v = parseVersion(r);
      return v !== undefined && atLeast(v, [0, 30, 0]);
    },
    wants: 'kind v0.30+',
    go: { wrapper: 'tools/kind', pkg: 'sigs.k8s.io/kind' },
    download: {
      url: (p) => `https://github.com/kubernetes-sigs/kind/releases/download/${KIND_VERSION}/kind-${p}`,
      sha256: {
        'linux-amd64': 'aee6151561422756b764a4ae28e7f44cda5af5a9eead3cc9985112b1de8d8e0d',
        'linux-arm64': '20022bee6cfcd5086cb7234d218e3454e6090022f2a8f55d1fa7fcf42c3867a2',
        'darwin-amd64': '5a99f26f57246dc9319dd294803313197a0f34d33c525b3ea8b655db5916ece0',
        'darwin-arm64': '0c8c7dbe5e23594a198b786c4bc13dacc101fa6196b0cb0b23a1ca44e61f4b4f',
      },
    },
  },
  // ---- end control plane ---------------------------------------------------------------------
  // The GitHub workflow linter (unit tier: test/unit/workflows.test.ts). Stamped as actionlint's
  // own release build does (.goreleaser.yaml: version without the "v"). No download: no pinned sha256.
  actionlint: {
    name: 'actionlint',
    version: ACTIONLINT_VERSION,
    versionArgs: ['-version'],
    // Exactly the pinned release: its rule set decides what CI reports.
    accepts: (r) => r.split('\n')[0]!.trim() === ACTIONLINT_VERSION.replace(/^v/, ''),
    wants: `actionlint ${ACTIONLINT_VERSION}`,
    go: {
      wrapper: 'tools/actionlint',
      pkg: 'github.com/rhysd/actionlint/cmd/actionlint',
      ldflags: [`-X github.com/rhysd/actionlint.version=${ACTIONLINT_VERSION.replace(/^v/, '')}`],
    },
  },
  registry: REGISTRY_TOOL, // the local OCI registry of the image pipeline (above)
  ...RELEASE_TOOLS, // signing and SBOMs of npm run release (above)
  ...KIND_NODE_TOOLS, // the offline kind node image (above)
};


// ---- Keycloak (SSO tier, npm run dev, the dev Keycloak image) ------------------------------------
export interface DistributionSpec {
  name: string;
  version: string;
  /** Maven coordinates of the .tar.gz distribution. */
  maven: { group: string; artifact: string; classifier?: string; ext: 'tar.gz' };
  sha256: string;
  size: number;
  /** A file the unpacked distribution must contain. */
  marker: string;
}

// Newest 26.7 patch of keycloak-quarkus-dist on Maven Central, checked 2026-12-07 (26.7.4 serves the
// .tar.gz; 26.7.5 answers 404 for it, although keycloak-core 26.7.5 is published).
// renovate: datasource=maven depName=org.keycloak:keycloak-quarkus-dist
export const KEYCLOAK_VERSION = '26.7.4';
/**
 * sha256 of keycloak-quarkus-dist-26.7.4.tar.gz, computed from the artifact downloaded from Maven
 * Central on 2026-12-07 and cross-checked against its published .sha1
 * (d07b35dac25ca9d200882e2456ec58148b32fabf); Maven Central has no .sha256/.sha512 for this file
 * (404). 26.7.3 was 77657f30...0635345f47, 176448763 bytes.
 */
export const KEYCLOAK: DistributionSpec = {
  name: 'keycloak',
  version: KEYCLOAK_VERSION,
  maven: { group: 'org.keycloak', artifact: 'keycloak-quarkus-dist', ext: 'tar.gz' },
  sha256: '04823c336b797a7e18889a44262a7a64e6bf624cbbcc518c85e2622176ff2eee',
  size: 176_451_297,
  marker: 'bin/kc.sh',
};

/**
 * Java feature releases Keycloak 26 supports that we accept, most preferred first. Keycloak's
 * "Supported Configurations" guide lists OpenJDK 17, 21 and 25 (LTS) and recommends 25; 17 is
 * deprecated for Keycloak 26 and refused. Found locally (BK_JAVA_HOME, JAVA_HOME, /usr/lib/jvm, PATH).
 */
export const JAVA = { name: 'java', majors: [25, 21] as const };
