/**
 * Debian rootfs images, built from Debian's package archive only (no container registry).
 *
 *   ensureDebianImage({ name: 'base', packages: ['ca-certificates'] })
 *     -> docker image `bk-debian-base:bookworm-<hash12>`
 *
 * Steps, each printed with its time:
 *   1. debootstrap --variant=minbase bookworm (from the Debian mirror the host's apt uses, or
 *      BK_DEBIAN_MIRROR); the bare tree is kept as a tarball in the tools cache, keyed by its inputs,
 *      so every image that starts from it skips this (~2-3 min) step;
 *   2. in a chroot (proc mounted, services blocked by policy-rc.d): apt sources for bookworm,
 *      bookworm-updates and bookworm-security, `apt-get dist-upgrade` (security fixes), then
 *      `apt-get install --no-install-recommends <packages>`;
 *   3. clean-up (apt lists and caches, docs except copyright files, man pages, locales, logs,
 *      the host's resolv.conf/hosts/hostname);
 *   4. `docker import` with PATH, a bash CMD and a label holding the inputs hash.
 * An image whose inputs hash (suite, variant, packages, pre-seeded files, procedure revision) is
 * unchanged is not rebuilt. Mirrors are not part of the hash: they serve the same archive.
 *
 * Needs root (debootstrap, chroot, mount) or password-less sudo, and `debootstrap` (Debian package,
 * installed by scripts/ci/apt.sh).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { hashInputs, imagesCacheDir, inspectImage, INPUTS_LABEL, mib, requireDocker, seconds, step, stderrLog, type Log } from './run.ts';

/** Bumped whenever the procedure below changes what ends up in an image. */
const PROCEDURE_REV = 1;

export interface DebianImageOptions {
  /** Short name: the image is `bk-debian-<name>:<suite>-<hash12>`. Letters, digits and dashes. */
  name: string;
  /** Packages installed on top of minbase (no recommends). */
  packages: string[];
  /** Files written into the tree before the packages are installed (e.g. a package's config). */
  preseed?: Record<string, string>;
  suite?: 'bookworm';
  log?: Log;
  /** Rebuild even when an image with the same inputs exists. */
  force?: boolean;
}

export interface DebianImage {
  /** Image reference (tag with the inputs hash). */
  image: string;
  hash: string;
  built: boolean;
  ms: number;
  size: number;
}

export interface AptSources {
  /** Main archive (serves `<suite>` and `<suite>-updates`). */
  mirror: string;
  /** Security archive (serves `<suite>-security`), if the host uses one. */
  security?: string;
}

/**
 * The Debian archive URIs this host's apt uses (deb822 `.sources` and one-line `.list` files),
 * overridden by BK_DEBIAN_MIRROR / BK_DEBIAN_SECURITY_MIRROR.
 */
export function aptSources(suite = 'bookworm', root = '/etc/apt'): AptSources {
  const entries: { uri: string; suites: string[] }[] = [];
  const files: string[] = [];
  if (existsSync(path.join(root, 'sources.list'))) files.push(path.join(root, 'sources.list'));
  const dir = path.join(root, 'sources.list.d');
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (f.endsWith('.list') || f.endsWith('.sources')) files.push(path.join(dir, f));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (k: string): string | undefined => new RegExp(`^${k}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim();
        if (!/\bdeb\b/.test(field('Types') ?? '') || /^no$/i.test(field('Enabled') ?? 'yes')) continue;
        for (const uri of (field('URIs') ?? '').split(/\s+/).filter(Boolean)) entries.push({ uri, suites: (field('Suites') ?? '').split(/\s+/) });
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m) entries.push({ uri: m[1]!, suites: [m[2]!] });
      }
    }
  }
  const find = (s: string): string | undefined => entries.find((e) => e.suites.includes(s))?.uri.replace(/\/+$/, '');
  const mirror = process.env.BK_DEBIAN_MIRROR || find(suite);
  if (!mirror) {
    throw new Error(`no Debian mirror for "${suite}" in ${files.join(', ') || `${root} (no sources)`}. Fix: set BK_DEBIAN_MIRROR=http://deb.debian.org/debian (or your mirror).`);
  }
  return { mirror, security: process.env.BK_DEBIAN_SECURITY_MIRROR || find(`${suite}-security`) };
}

async function asRoot(): Promise<string[]> {
  if (process.getuid?.() === 0) return [];
  const sudo = await $({ quiet: true, nothrow: true })`sudo -n true`;
  if (sudo.ok) return ['sudo', '-n'];
  throw new Error('building a Debian rootfs needs root (debootstrap, chroot, mount): run as root or with password-less sudo.');
}

/** Docker image name of a Debian rootfs image for these inputs. */
export function debianImageRef(opts: Pick<DebianImageOptions, 'name' | 'packages' | 'preseed' | 'suite'>): { image: string; hash: string } {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(opts.name)) throw new Error(`Debian image name "${opts.name}": use lower-case letters, digits and dashes`);
  const suite = opts.suite ?? 'bookworm';
  const hash = hashInputs({ rev: PROCEDURE_REV, suite, variant: 'minbase', packages: [...new Set(opts.packages)].sort(), preseed: opts.preseed ?? {}, arch: process.arch });
  return { image: `bk-debian-${opts.name}:${suite}-${hash.slice(0, 12)}`, hash };
}

/** Builds (or finds) the Debian rootfs image for these inputs. */
export async function ensureDebianImage(opts: DebianImageOptions): Promise<DebianImage> {
  const log = opts.log ?? stderrLog;
  const suite = opts.suite ?? 'bookworm';
  const { image, hash } = debianImageRef(opts);
  const t0 = Date.now();
  const prefix = `debian ${opts.name}`;
  await requireDocker();
  if (!opts.force) {
    const have = await inspectImage(image);
    if (have?.labels[INPUTS_LABEL] === hash) {
      log(`${prefix}: ${image} is up to date (${mib(have.size)})`);
      return { image, hash, built: false, ms: Date.now() - t0, size: have.size };
    }
  }
  const sudo = await asRoot();
  const cache = imagesCacheDir();
  const work = path.join(cache, 'work', `${opts.name}-${process.pid}`);
  const tree = path.join(work, 'rootfs');
  const sources = aptSources(suite);
  const baseHash = hashInputs({ rev: PROCEDURE_REV, suite, variant: 'minbase', arch: process.arch }).slice(0, 12);
  const baseTar = path.join(cache, 'rootfs', `${suite}-minbase-${baseHash}.tar.gz`);
  const root = (cmd: string[]) => $({ quiet: true })`${[...sudo, ...cmd]}`;
  let procMounted = false;
  try {
    await $({ quiet: true, nothrow: true })`${[...sudo, 'rm', '-rf', '--one-file-system', work]}`;
    await mkdir(tree, { recursive: true });

    if (existsSync(baseTar)) {
      await step(prefix, `unpack cached ${suite} minbase (${path.basename(baseTar)})`, log, () => root(['tar', '-xzpf', baseTar, '-C', tree, '--numeric-owner']));
    } else {
      const debootstrap = await $({ quiet: true, nothrow: true })`sh -c ${'command -v debootstrap || ls /usr/sbin/debootstrap'}`;
      if (!debootstrap.ok) throw new Error('debootstrap is not installed. Fix: apt-get install -y debootstrap (scripts/ci/apt.sh installs it).');
      const debs = path.join(cache, 'debs');
      await mkdir(debs, { recursive: true });
      await step(prefix, `debootstrap --variant=minbase ${suite} from ${sources.mirror} (first time only, a few minutes)`, log, () =>
        root([debootstrap.stdout.trim().split('\n')[0]!, '--variant=minbase', `--cache-dir=${debs}`, suite, tree, sources.mirror]),
      );
      await step(prefix, 'cache the bare tree', log, async () => {
        await mkdir(path.dirname(baseTar), { recursive: true });
        const tmp = `${baseTar}.tmp-${process.pid}`;
        await root(['tar', '--use-compress-program=gzip -1', '-cpf', tmp, '-C', tree, '--numeric-owner', '.']);
        await root(['mv', tmp, baseTar]);
      });
    }

    // The tree belongs to root: files go in through root (sudo when we are not root).
    const put = async (file: string, content: string, mode = '0644') => {
      const dest = path.join(tree, file.replace(/^\/+/, ''));
      await root(['mkdir', '-p', path.dirname(dest)]);
      await $({ quiet: true, input: content })`${[...sudo, 'tee', dest]}`;
      await root(['chmod', mode, dest]);
    };
    const lists = [`deb ${sources.mirror} ${suite} main`, `deb ${sources.mirror} ${suite}-updates main`];
    if (sources.security) lists.push(`deb ${sources.security} ${suite}-security main`);
    await put('/etc/apt/sources.list', `${lists.join('\n')}\n`);
    // No service may start in the chroot (a postinst starting a database on the host's network).
    await put('/usr/sbin/policy-rc.d', '#!/bin/sh\nexit 101\n', '0755');
    await put('/etc/resolv.conf', readFileSync('/etc/resolv.conf', 'utf8'));
    for (const [file, content] of Object.entries(opts.preseed ?? {})) await put(file, content);
    await root(['mount', '-t', 'proc', 'proc', path.join(tree, 'proc')]);
    procMounted = true;
    const chroot = (cmd: string) => root(['chroot', tree, '/usr/bin/env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'DEBIAN_FRONTEND=noninteractive', 'LC_ALL=C', '/bin/sh', '-ec', cmd]);
    await step(prefix, `apt-get update + dist-upgrade (${suite}, -updates${sources.security ? ', -security' : ''})`, log, () =>
      chroot('apt-get update -qq && apt-get -y -qq -o Dpkg::Options::=--force-confold dist-upgrade'),
    );
    if (opts.packages.length) {
      await step(prefix, `apt-get install ${opts.packages.join(' ')}`, log, () => chroot(`apt-get install -y -qq --no-install-recommends ${opts.packages.join(' ')}`));
    }
    await root(['umount', path.join(tree, 'proc')]);
    procMounted = false;
    await step(prefix, 'clean up (apt lists and caches, docs, man pages, locales, logs)', log, () =>
      chroot(
        [
          'apt-get clean',
          'rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/lib/dpkg/*-old',
          // Keep each package's copyright file (licences), drop the rest of the docs.
          "find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete",
          'find /usr/share/doc -mindepth 1 -type d -empty -delete',
          'rm -rf /usr/share/man/* /usr/share/info/* /usr/share/lintian /usr/share/linda',
          "find /usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +",
          'find /var/log -type f -delete',
          'rm -rf /tmp/* /var/tmp/* /root/.cache',
          'rm -f /usr/sbin/policy-rc.d /etc/resolv.conf /etc/hostname /etc/machine-id',
          // Docker provides /etc/hosts and /etc/resolv.conf at run time.
          'printf "127.0.0.1\\tlocalhost\\n::1\\tlocalhost ip6-localhost ip6-loopback\\n" > /etc/hosts',
          ': > /etc/resolv.conf',
        ].join('\n'),
      ),
    );
    const tar = path.join(work, 'rootfs.tar');
    await step(prefix, `docker import ${image}`, log, async () => {
      await root(['tar', '-cpf', tar, '-C', tree, '--numeric-owner', '.']);
      await $({ quiet: true })`docker import ${[
        '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change', 'CMD ["bash"]',
        '--change', `LABEL ${INPUTS_LABEL}=${hash}`,
        '--message', `debootstrap --variant=minbase ${suite} + ${opts.packages.join(' ') || '(no extra packages)'}`,
        tar, image,
      ]}`;
    });
    const info = await inspectImage(image);
    log(`${prefix}: ${image} built in ${seconds(Date.now() - t0)} (${mib(info?.size ?? 0)})`);
    return { image, hash, built: true, ms: Date.now() - t0, size: info?.size ?? 0 };
  } finally {
    if (procMounted) await $({ quiet: true, nothrow: true })`${[...sudo, 'umount', '-l', path.join(tree, 'proc')]}`;
    await $({ quiet: true, nothrow: true })`${[...sudo, 'rm', '-rf', '--one-file-system', work]}`;
  }
}
