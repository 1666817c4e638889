/**
 * The offline kind node image: `bk-kind-node:<kubernetes version>-<hash12>`, assembled without any
 * registry pull.
 *
 *   1. pinned binaries: Go builds through the tools mechanism (the kind node and control-plane
 *      specs of scripts/lib/tools/pins.ts; runc with cgo), pause (scripts/kind/native-tools.ts);
 *   2. Debian rootfs images (scripts/kind/rootfs.ts, built by the image pipeline's Debian builder):
 *      `kind-node` (systemd and what kind's base image carries) and `kind-net` (iptables, ipset,
 *      conntrack, iproute2);
 *   3. component images (scripts/kind/images.ts), named inside the node exactly as kubeadm v1.36.5
 *      lists them, plus kube-router, local-path-provisioner and its helper;
 *   4. the base image: the node rootfs + our node files (scripts/kind/node/: entrypoint, containerd
 *      config, systemd units) + the binaries (docker build, classic builder);
 *   5. the node image: a container of the base runs containerd, `ctr images import` loads every
 *      component image into its k8s.io namespace (pinned, not unpacked), the manifests go to
 *      /kind/manifests, the Kubernetes version to /kind/version; `docker commit`.
 *
 * The tag's hash covers every pin, the rootfs package lists, our node files and manifests: when an
 * image with that tag exists (label checked), nothing is built and the call takes about a second.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { repoRoot } from '../lib/paths.ts';
import {
  CNI_PLUGINS_VERSION,
  CONTAINERD_VERSION,
  COREDNS_VERSION,
  CRICTL_VERSION,
  ensureTool,
  ETCD_VERSION,
  KUBE_ROUTER_VERSION,
  KUBERNETES_VERSION,
  LOCAL_PATH_PROVISIONER_VERSION,
  PAUSE_IMAGE_TAG,
  RUNC_VERSION,
  TOOLS,
} from '../lib/tools/index.ts';
import { ensureDocker } from './docker.ts';
import { ensureImage, imageRef, type BuiltImage, type ComponentImage } from './images.ts';
import { ensurePause } from './native-tools.ts';
import { ensureRootfs, NET_ROOTFS, NODE_ROOTFS, rootfsRef } from './rootfs.ts';
import { hashInputs, imageInputs, INPUTS_LABEL, mib, run, seconds, step, type Log } from './util.ts';

/** Bump when the assembly procedure changes. */
const NODE_REV = 1;

/** etcd image tag: kubeadm's `<version>-0` form for the etcd we build (kubeadm's default is 3.6.8-0). */
export const ETCD_IMAGE_TAG = `${ETCD_VERSION.replace(/^v/, '')}-0`;

/** Image names inside the node. */
export const NODE_IMAGES = {
  pause: `registry.k8s.io/pause:${PAUSE_IMAGE_TAG}`,
  etcd: `registry.k8s.io/etcd:${ETCD_IMAGE_TAG}`,
  coredns: `registry.k8s.io/coredns/coredns:${COREDNS_VERSION}`,
  kubeRouter: `docker.io/bk-kind/kube-router:${KUBE_ROUTER_VERSION}`,
  localPath: `docker.io/bk-kind/local-path-provisioner:${LOCAL_PATH_PROVISIONER_VERSION}`,
  localPathHelper: 'docker.io/bk-kind/local-path-helper:bookworm',
} as const;

/** Go-built binaries in the node itself and the control-plane/add-on images. */
const NODE_BINARIES = ['kubelet', 'kubeadm', 'kubectl', 'containerd', 'containerd-shim-runc-v2', 'ctr', 'crictl', 'runc'];
const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap', 'ptp'];
const IMAGE_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'etcd', 'coredns', 'local-path-provisioner', 'kube-router'];

export interface NodeImagePlan {
  image: string;
  hash: string;
}

function filesDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(readFileSync(p)).update(String(statSync(p).mode & 0o111)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

const nodeFilesDir = () => path.join(repoRoot, 'scripts', 'kind', 'node');
const manifestsDir = () => path.join(repoRoot, 'scripts', 'kind', 'manifests');

/** Which binary versions an image's contents depend on (the cache key of its build). */
function versionsOf(names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, TOOLS[n]?.version ?? 'unknown']));
}

function componentSpecs(bin: (name: string) => string, netRootfs: string): ComponentImage[] {
  const k8s = (name: string, from: string = 'scratch'): ComponentImage => ({
    name,
    version: KUBERNETES_VERSION,
    nodeRef: `registry.k8s.io/${name}:${KUBERNETES_VERSION}`,
    from,
    files: { [bin(name)]: `/usr/local/bin/${name}` },
  });
  return [
    k8s('kube-apiserver'),
    k8s('kube-controller-manager'),
    k8s('kube-scheduler'),
    // iptables and conntrack for the service proxy.
    k8s('kube-proxy', netRootfs),
    { name: 'etcd', version: ETCD_IMAGE_TAG, nodeRef: NODE_IMAGES.etcd, from: 'scratch', files: { [bin('etcd')]: '/usr/local/bin/etcd' } },
    { name: 'coredns', version: COREDNS_VERSION, nodeRef: NODE_IMAGES.coredns, from: 'scratch', files: { [bin('coredns')]: '/coredns' }, user: '65532:65532', entrypoint: ['/coredns'] },
    { name: 'pause', version: PAUSE_IMAGE_TAG, nodeRef: NODE_IMAGES.pause, from: 'scratch', files: { [bin('pause')]: '/pause' }, user: '65535:65535', entrypoint: ['/pause'] },
    { name: 'kube-router', version: KUBE_ROUTER_VERSION, nodeRef: NODE_IMAGES.kubeRouter, from: netRootfs, files: { [bin('kube-router')]: '/usr/local/bin/kube-router' }, entrypoint: ['/usr/local/bin/kube-router'] },
    { name: 'local-path-provisioner', version: LOCAL_PATH_PROVISIONER_VERSION, nodeRef: NODE_IMAGES.localPath, from: 'scratch', files: { [bin('local-path-provisioner')]: '/usr/local/bin/local-path-provisioner' }, user: '65532:65532' },
    // The helper pod only runs `sh` with mkdir / rm -rf: the net rootfs as is.
    { name: 'local-path-helper', version: 'bookworm', nodeRef: NODE_IMAGES.localPathHelper, from: netRootfs, files: {} },
  ];
}

/** The node image reference for the current pins and files (nothing is built). */
export function planNodeImage(): NodeImagePlan {
  const hash = hashInputs({
    rev: NODE_REV,
    kubernetes: KUBERNETES_VERSION,
    versions: { ...versionsOf([...NODE_BINARIES, ...IMAGE_BINARIES, ...CNI_PLUGINS.map((p) => `cni-${p}`)]), pause: PAUSE_IMAGE_TAG },
    rootfs: [rootfsRef(NODE_ROOTFS).hash, rootfsRef(NET_ROOTFS).hash],
    images: componentSpecs((n) => n, 'net').map((s) => imageRef(s, {}).hash),
    nodeFiles: filesDigest(nodeFilesDir()),
    manifests: filesDigest(manifestsDir()),
  });
  return { image: `bk-kind-node:${KUBERNETES_VERSION}-${hash.slice(0, 12)}`, hash };
}

function render(text: string): string {
  return text
    .replaceAll('@KUBE_ROUTER_IMAGE@', NODE_IMAGES.kubeRouter)
    .replaceAll('@LOCAL_PATH_IMAGE@', NODE_IMAGES.localPath)
    .replaceAll('@HELPER_IMAGE@', NODE_IMAGES.localPathHelper)
    .replaceAll('@PAUSE_IMAGE@', NODE_IMAGES.pause);
}

export interface NodeImageResult {
  image: string;
  built: boolean;
  size: number;
  ms: number;
}

/** Builds (or finds) the node image. Every step prints its name and time; a failure names its step. */
export async function ensureNodeImage(opts: { log: Log; force?: boolean }): Promise<NodeImageResult> {
  const { log } = opts;
  const t0 = Date.now();
  const plan = planNodeImage();
  await step(log, 'Docker engine', () => ensureDocker(log));
  if (!opts.force) {
    const have = await imageInputs(plan.image);
    if (have?.inputs === plan.hash) {
      log(`    node image ${plan.image} is up to date (${mib(have.size)})`);
      return { image: plan.image, built: false, size: have.size, ms: Date.now() - t0 };
    }
  }
  log(`node image ${plan.image} is not built yet: building it (cold: ~35 min on 2 cores, most of it Go builds)`);

  const bins: Record<string, string> = {};
  await step(log, 'pinned binaries (Go module proxy builds, pause)', async () => {
    for (const name of [...NODE_BINARIES, ...IMAGE_BINARIES, ...CNI_PLUGINS.map((p) => `cni-${p}`)]) {
      const s = Date.now();
      // Building the node image provisions (like `npm run tools -- ensure --all`), also under CI=true.
      bins[name] = await ensureTool(name, { pinnedOnly: true, noInstall: false, log: (l) => log(`    ${l}`) });
      if (Date.now() - s > 2000) log(`    ${name}: ${seconds(Date.now() - s)}`);
    }
    bins.pause = await ensurePause(log);
  });

  const nodeRootfs = await step(log, 'Debian rootfs: node (debootstrap)', () => ensureRootfs(NODE_ROOTFS, log));
  const netRootfs = await step(log, 'Debian rootfs: net (debootstrap)', () => ensureRootfs(NET_ROOTFS, log));

  const images: BuiltImage[] = [];
  for (const spec of componentSpecs((n) => bins[n]!, netRootfs)) {
    // The spec carries the version (and the rootfs hash in `from`): that is the image's cache key.
    images.push(await step(log, `image ${spec.nodeRef}`, () => ensureImage(spec, {}, netRootfs, log)));
  }

  const base = await step(log, 'node base image (rootfs + node files + binaries)', () => buildBase(plan, nodeRootfs, bins, log, Boolean(opts.force)));
  await step(log, 'node image (import component images, docker commit)', () => assembleNode(plan, base, images, log));
  const size = (await imageInputs(plan.image))?.size ?? 0;
  log(`node image ${plan.image}: ${mib(size)}, built in ${seconds(Date.now() - t0)}`);
  return { image: plan.image, built: true, size, ms: Date.now() - t0 };
}

async function buildBase(plan: NodeImagePlan, rootfs: string, bins: Record<string, string>, log: Log, force: boolean): Promise<string> {
  const ref = `bk-kind-node-base:${KUBERNETES_VERSION}-${plan.hash.slice(0, 12)}`;
  const have = await imageInputs(ref);
  if (!force && have?.inputs === plan.hash) {
    log(`    ${ref} is up to date`);
    return ref;
  }
  const ctx = await mkdtemp(path.join(os.tmpdir(), 'bk-kind-base-'));
  try {
    await cp(nodeFilesDir(), path.join(ctx, 'files'), { recursive: true });
    const conf = path.join(ctx, 'files', 'etc', 'containerd', 'config.toml');
    await writeFile(conf, render(readFileSync(conf, 'utf8')));
    await mkdir(path.join(ctx, 'bin'));
    await mkdir(path.join(ctx, 'cni'));
    for (const n of NODE_BINARIES) await cp(bins[n]!, path.join(ctx, 'bin', n));
    for (const p of CNI_PLUGINS) await cp(bins[`cni-${p}`]!, path.join(ctx, 'cni', p));
    const units = 'systemd-binfmt.service systemd-sysctl.service systemd-modules-load.service systemd-udevd.service systemd-udev-trigger.service getty.target console-getty.service systemd-firstboot.service systemd-hwdb-update.service';
    const dockerfile = [
      `FROM ${rootfs}`,
      'COPY files/ /',
      'COPY bin/kubelet bin/kubeadm bin/kubectl /usr/bin/',
      'COPY bin/containerd bin/containerd-shim-runc-v2 bin/ctr bin/crictl /usr/local/bin/',
      'COPY bin/runc /usr/local/sbin/runc',
      'COPY cni/ /opt/cni/bin/',
      // Only what a node runs starts at boot: no getty, udev, binfmt (kernel-global), sysctl (the
      // entrypoint sets the node's own network settings), module loading.
      [
        'RUN set -e',
        'ctr oci spec | jq "del(.process.rlimits)" > /etc/containerd/cri-base.json',
        'containerd --version && runc --version && kubelet --version && crictl --version',
        'rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*',
        'find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete',
        'echo ReadKMsg=no >> /etc/systemd/journald.conf',
        'systemctl enable containerd.service kubelet.service',
        `systemctl mask ${units}`,
        'mkdir -p /etc/kubernetes/manifests /kind/manifests /etc/cni/net.d /var/lib/kubelet /etc/containerd/certs.d',
      ].join(' && '),
      'ENV container=docker',
      'STOPSIGNAL SIGRTMIN+3',
      'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]',
      'CMD []',
      `LABEL ${INPUTS_LABEL}=${plan.hash}`,
    ].join('\n');
    await writeFile(path.join(ctx, 'Dockerfile'), `${dockerfile}\n`);
    await run(log, 'build: ', ['docker', 'build', '-t', ref, ctx], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    return ref;
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}

async function assembleNode(plan: NodeImagePlan, base: string, images: BuiltImage[], log: Log): Promise<void> {
  const name = `bk-kind-build-${process.pid}`;
  const exec = (cmd: string, input?: string) => run(log, '', ['docker', 'exec', ...(input !== undefined ? ['-i'] : []), name, 'bash', '-ec', cmd], { input });
  await $({ quiet: true, nothrow: true })`docker rm -f ${name}`;
  await run(log, '', ['docker', 'run', '-d', '--name', name, '--entrypoint', 'sleep', '--security-opt', 'seccomp=unconfined', base, 'infinity']);
  try {
    await exec('nohup containerd >/tmp/containerd.log 2>&1 &');
    await exec('for i in $(seq 1 60); do ctr version >/dev/null 2>&1 && exit 0; sleep 0.5; done; cat /tmp/containerd.log; exit 1');
    const t = Date.now();
    const refs = images.map((i) => i.ref);
    await $({ quiet: true })`docker save ${refs} | docker exec -i ${name} ctr -n k8s.io images import --all-platforms --no-unpack -`;
    log(`    imported ${refs.length} images in ${seconds(Date.now() - t)}`);
    // Give each image the name kubeadm and the manifests use; keep it pinned (never garbage collected).
    const tagging = images
      .map((i) => {
        const imported = `docker.io/library/${i.ref}`;
        return `ctr -n k8s.io images tag --force ${imported} ${i.spec.nodeRef} >/dev/null && ctr -n k8s.io images rm ${imported} >/dev/null && ctr -n k8s.io images label ${i.spec.nodeRef} io.cri-containerd.pinned=pinned >/dev/null`;
      })
      .join('\n');
    await exec(tagging);
    const list = await exec('ctr -n k8s.io images ls -q');
    log(`    node images: ${list.trim().split('\n').join(', ')}`);
    await exec(`printf %s ${KUBERNETES_VERSION} > /kind/version`);
    await exec('cat > /kind/manifests/default-storage.yaml', render(readFileSync(path.join(manifestsDir(), 'storage.yaml'), 'utf8')));
    await exec('cat > /kind/manifests/bk-network.yaml', render(readFileSync(path.join(manifestsDir(), 'network.yaml'), 'utf8')));
    // A clean stop, so the content store is consistent in the committed layer.
    await exec('pkill containerd; for i in $(seq 1 40); do pgrep -x containerd >/dev/null || break; sleep 0.25; done; rm -rf /tmp/* /run/containerd');
    const t2 = Date.now();
    await run(log, '', [
      'docker', 'commit',
      '--change', 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]',
      '--change', 'CMD []',
      '--change', `LABEL ${INPUTS_LABEL}=${plan.hash}`,
      name, plan.image,
    ]);
    log(`    docker commit in ${seconds(Date.now() - t2)}`);
  } finally {
    await $({ quiet: true, nothrow: true })`docker rm -f ${name}`;
  }
}

/** Host tags the current pins build (node, base, component images, rootfs); `prune` keeps these. */
export function currentImageRefs(): Set<string> {
  const plan = planNodeImage();
  const net = rootfsRef(NET_ROOTFS).image;
  const refs = new Set([plan.image, `bk-kind-node-base:${KUBERNETES_VERSION}-${plan.hash.slice(0, 12)}`, rootfsRef(NODE_ROOTFS).image, net]);
  for (const spec of componentSpecs((n) => n, net)) refs.add(imageRef(spec, { ca: net }).ref);
  return refs;
}

/** Removes the kind node build's images of other pins (each old node image is ~1 GiB). */
export async function pruneImages(log: Log): Promise<string[]> {
  const keep = currentImageRefs();
  const out = await $({ quiet: true })`docker images --format ${'{{.Repository}}:{{.Tag}}'}`;
  const stale = out.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((r) => /^(bk-kind-[a-z0-9-]+|bk-debian-kind-[a-z]+):/.test(r) && !keep.has(r));
  for (const r of stale) {
    const rm = await $({ quiet: true, nothrow: true })`docker image rm ${r}`;
    log(`    ${rm.ok ? 'removed' : 'kept (in use)'} ${r}`);
  }
  return stale;
}

/** For tests and diagnostics: the versions that went into the node image. */
export const NODE_PINS = {
  kubernetes: KUBERNETES_VERSION,
  containerd: CONTAINERD_VERSION,
  runc: RUNC_VERSION,
  crictl: CRICTL_VERSION,
  cniPlugins: CNI_PLUGINS_VERSION,
  etcd: ETCD_VERSION,
  coredns: COREDNS_VERSION,
  pause: PAUSE_IMAGE_TAG,
  kubeRouter: KUBE_ROUTER_VERSION,
  localPathProvisioner: LOCAL_PATH_PROVISIONER_VERSION,
};
