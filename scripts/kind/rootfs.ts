/**
 * The Debian rootfs images of the kind node, built by the image pipeline's Debian builder
 * (scripts/images/debian.ts: debootstrap --variant=minbase bookworm from the mirror this host's apt
 * uses, dist-upgrade from -updates/-security, the packages, clean-up, `docker import`), cached by a
 * hash of their inputs as `bk-debian-kind-<name>:bookworm-<hash12>`.
 */
import { debianImageRef, ensureDebianImage } from '../images/debian.ts';
import type { Log } from './util.ts';

export interface RootfsSpec {
  name: string;
  packages: string[];
}

/**
 * The node: what kind's base image carries (systemd as init, the container runtime's and kubelet's
 * userland helpers), plus ipset (kube-router's policy sets, also in its own image).
 */
export const NODE_ROOTFS: RootfsSpec = {
  name: 'kind-node',
  packages: [
    'systemd', 'systemd-sysv', 'dbus',
    'conntrack', 'iptables', 'nftables', 'ebtables', 'ipset', 'iproute2', 'ethtool', 'socat',
    'util-linux', 'mount', 'kmod', 'libseccomp2', 'pigz', 'e2fsprogs',
    'bash', 'ca-certificates', 'curl', 'jq', 'procps',
  ],
};

/** Userland for kube-proxy (iptables, conntrack), kube-router (iptables, ipset, ip) and the storage helper pod (sh). */
export const NET_ROOTFS: RootfsSpec = {
  name: 'kind-net',
  packages: ['iptables', 'ipset', 'conntrack', 'iproute2', 'ca-certificates'],
};

export function rootfsRef(spec: RootfsSpec): { image: string; hash: string } {
  return debianImageRef({ name: spec.name, packages: spec.packages });
}

/** Builds (or finds) the rootfs image; returns its reference. */
export async function ensureRootfs(spec: RootfsSpec, log: Log): Promise<string> {
  const r = await ensureDebianImage({ name: spec.name, packages: spec.packages, log: (l) => log(`    ${l}`) });
  return r.image;
}
