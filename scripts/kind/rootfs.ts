/**
 * Debian rootfs images for the kind node and the component images that need a userland, built
 * from Debian's package archive only: `debootstrap --variant=minbase --include=<packages> bookworm`
 * from the mirror this host's apt uses (or BK_DEBIAN_MIRROR), trimmed, then `docker import`ed as
 * `bk-kind-rootfs-<name>:bookworm-<hash12>`. The hash covers the suite, the package list and the
 * procedure revision; an image whose label carries the same hash is reused (seconds).
 *
 * Needs root (debootstrap) and the `debootstrap` package (scripts/ci/apt.sh installs it).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { hashInputs, imageInputs, INPUTS_LABEL, kindCacheDir, mib, run, seconds, type Log } from './util.ts';

/** Bump when the procedure changes what ends up in a rootfs. */
const ROOTFS_REV = 1;
const SUITE = 'bookworm';

export interface RootfsSpec {
  name: string;
  packages: string[];
}

/**
 * The node: what kind's base image carries (systemd as init, the container runtime's and
 * kubelet's userland helpers), plus ipset for the kube-router network policy controller's
 * host-network pod (iptables and ipset live in its own image too).
 */
export const NODE_ROOTFS: RootfsSpec = {
  name: 'node',
  packages: [
    'systemd', 'systemd-sysv', 'dbus',
    'conntrack', 'iptables', 'nftables', 'ebtables', 'ipset', 'iproute2', 'ethtool', 'socat',
    'util-linux', 'mount', 'kmod', 'libseccomp2', 'pigz', 'e2fsprogs',
    'bash', 'ca-certificates', 'curl', 'jq', 'procps',
  ],
};

/** Userland for kube-proxy (iptables, conntrack), kube-router (iptables, ipset, ip) and the storage helper pod (sh). */
export const NET_ROOTFS: RootfsSpec = {
  name: 'net',
  packages: ['iptables', 'ipset', 'conntrack', 'iproute2', 'ca-certificates'],
};

export function rootfsRef(spec: RootfsSpec): { image: string; hash: string } {
  const hash = hashInputs({ rev: ROOTFS_REV, suite: SUITE, variant: 'minbase', packages: [...new Set(spec.packages)].sort(), arch: process.arch });
  return { image: `bk-kind-rootfs-${spec.name}:${SUITE}-${hash.slice(0, 12)}`, hash };
}

/** The Debian archive URI this host's apt uses for the suite (deb822 .sources or one-line .list). */
export function debianMirror(root = '/etc/apt'): string {
  if (process.env.BK_DEBIAN_MIRROR) return process.env.BK_DEBIAN_MIRROR;
  const files: string[] = [];
  if (existsSync(path.join(root, 'sources.list'))) files.push(path.join(root, 'sources.list'));
  const d = path.join(root, 'sources.list.d');
  if (existsSync(d)) for (const f of readdirSync(d).sort()) if (/\.(list|sources)$/.test(f)) files.push(path.join(d, f));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (k: string) => new RegExp(`^${k}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim() ?? '';
        if (/\bdeb\b/.test(field('Types')) && field('Suites').split(/\s+/).includes(SUITE) && !/^no$/i.test(field('Enabled'))) {
          const uri = field('URIs').split(/\s+/)[0];
          if (uri) return uri.replace(/\/+$/, '');
        }
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m && m[2] === SUITE) return m[1]!.replace(/\/+$/, '');
      }
    }
  }
  throw new Error(`no Debian mirror for "${SUITE}" in ${files.join(', ') || root}. Fix: set BK_DEBIAN_MIRROR=http://deb.debian.org/debian (or your mirror).`);
}

/** Builds (or finds) the rootfs image; returns its reference. */
export async function ensureRootfs(spec: RootfsSpec, log: Log): Promise<string> {
  const { image, hash } = rootfsRef(spec);
  const have = await imageInputs(image);
  if (have?.inputs === hash) {
    log(`    ${image} is up to date (${mib(have.size)})`);
    return image;
  }
  if (process.getuid?.() !== 0) throw new Error(`building the Debian rootfs ${image} needs root (debootstrap)`);
  if (!(await $({ quiet: true, nothrow: true })`debootstrap --version`).ok) {
    throw new Error('debootstrap is not installed. Fix: bash scripts/ci/apt.sh (or apt-get install debootstrap).');
  }
  const mirror = debianMirror();
  const dir = path.join(kindCacheDir(), `rootfs-${spec.name}-${hash.slice(0, 12)}.tmp-${process.pid}`);
  await mkdir(dir, { recursive: true });
  try {
    const t0 = Date.now();
    log(`    debootstrap --variant=minbase ${SUITE} from ${mirror} (${spec.packages.length} packages on top)`);
    let lines = 0;
    await run(
      (l) => {
        // debootstrap prints one line per package and stage: show every 40th as progress.
        if (++lines % 40 === 1) log(`${l} (${seconds(Date.now() - t0)})`);
      },
      'debootstrap: ',
      ['debootstrap', '--variant=minbase', `--include=${spec.packages.join(',')}`, '--components=main', SUITE, dir, mirror],
    );
    log(`    debootstrap done in ${seconds(Date.now() - t0)}`);
    // Trim what a container never needs: package lists and caches, docs, man pages, locales, logs.
    await $`rm -rf ${dir}/var/lib/apt/lists ${dir}/var/cache/apt ${dir}/usr/share/man ${dir}/usr/share/info ${dir}/usr/share/locale ${dir}/var/log/apt ${dir}/var/log/dpkg.log ${dir}/var/log/bootstrap.log`;
    await $`mkdir -p ${dir}/var/lib/apt/lists/partial ${dir}/var/cache/apt/archives/partial`;
    await $`find ${dir}/usr/share/doc -mindepth 2 -type f ! -name copyright -delete`;
    await $`find ${dir}/usr/share/doc -mindepth 1 -type d -empty -delete`;
    // The host's identity must not leak into the image.
    await $`rm -f ${dir}/etc/hostname ${dir}/etc/resolv.conf ${dir}/etc/machine-id`;
    await $`touch ${dir}/etc/machine-id`;
    const t1 = Date.now();
    await $({ quiet: true })`tar -C ${dir} --numeric-owner -cf - . | docker import --change ${'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'} --change ${`LABEL ${INPUTS_LABEL}=${hash}`} - ${image}`;
    const size = (await imageInputs(image))?.size ?? 0;
    log(`    docker import ${image} (${mib(size)}) in ${seconds(Date.now() - t1)}`);
    return image;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
