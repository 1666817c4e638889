/**
 * Host kernel settings a kind node could change if it wrote to /proc/sys: the values kubelet's
 * container manager enforces (vm.overcommit_memory, vm.panic_on_oom, kernel.panic,
 * kernel.panic_on_oops, kernel.keys.root_max*), what systemd as PID 1 raises at boot (fs.file-max,
 * fs.nr_open) or its sysctl.d defaults set (kernel.pid_max, kernel.sysrq, fs.protected_*), and the
 * conntrack/bridge/forwarding settings of network components. All are read on the host.
 */
import { existsSync, readFileSync } from 'node:fs';

export const HOST_SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'fs/file-max',
  'fs/nr_open',
  'kernel/pid_max',
  'kernel/sysrq',
  'kernel/core_pattern',
  'fs/protected_hardlinks',
  'fs/protected_symlinks',
  'fs/protected_regular',
  'fs/protected_fifos',
  'fs/inotify/max_user_instances',
  'fs/inotify/max_user_watches',
  'net/netfilter/nf_conntrack_max',
  'net/bridge/bridge-nf-call-iptables',
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'net/core/somaxconn',
] as const;

export function readHostSysctls(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of HOST_SYSCTLS) {
    const p = `/proc/sys/${key}`;
    out[key.replaceAll('/', '.')] = existsSync(p) ? readFileSync(p, 'utf8').trim() : '(absent)';
  }
  return out;
}

/** "key: before -> after" for every setting that differs. */
export function sysctlChanges(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(before)
    .filter((k) => before[k] !== after[k])
    .map((k) => `${k}: ${before[k]} -> ${after[k]}`);
}
