/**
 * mkdocs with mkdocs-techdocs-core: the TechDocs generator of the Backstage app
 * (techdocs.generator.runIn: local runs `mkdocs build` from PATH). Installed from PyPI with every
 * wheel pinned by sha256 (backstage/techdocs/requirements.txt), into the tools cache as a
 * relocatable directory:
 *
 *   <toolsDir>/mkdocs-py<X.Y>-<hash>/lib/        the packages (pip --target, no scripts, no venv)
 *   <toolsDir>/mkdocs-py<X.Y>-<hash>/bin/mkdocs  `python3 -m mkdocs` with PYTHONPATH=../lib
 *
 * The directory works wherever it is copied next to a CPython X.Y on Linux x86_64. Local runs use
 * the host's python3 (3.11 or 3.12: the pins have wheels for both); the Backstage image carries a
 * 3.11 install at /opt/techdocs for Debian bookworm's python3 (`ensureMkdocs({ python: '3.11' })`,
 * installed for that version whatever the host runs: pip --python-version with wheels only). The
 * hash is over the requirements file, so a changed pin installs anew.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { repoRoot, toolsDir } from '../paths.ts';

export const MKDOCS_REQUIREMENTS = path.join(repoRoot, 'backstage', 'techdocs', 'requirements.txt');

/** The wrapper the image and the local runs put on PATH as `mkdocs`. */
const WRAPPER = `#!/bin/sh
# mkdocs from the pinned packages next to this script (backstage/techdocs/requirements.txt).
here=$(dirname "$(readlink -f "$0")")
PYTHONPATH="$here/../lib\${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m mkdocs "$@"
`;

export interface MkdocsInstall {
  /** The relocatable directory (bin/, lib/). */
  dir: string;
  /** Its bin/ directory: put it first on PATH. */
  bin: string;
  /** `mkdocs --version` output. */
  version: string;
}

/** Version line of the pinned mkdocs-techdocs-core (for messages). */
export async function pinnedTechdocsCore(): Promise<string> {
  const line = (await readFile(MKDOCS_REQUIREMENTS, 'utf8')).split('\n').find((l) => l.startsWith('mkdocs-techdocs-core=='));
  return line?.split(' ')[0] ?? 'mkdocs-techdocs-core (unpinned?)';
}

/** Python versions the pinned wheels cover (requirements.txt has hashes for both). */
export const MKDOCS_PYTHONS = ['3.11', '3.12'];

/** A python3 with pip, and its major.minor. */
async function python(): Promise<{ cmd: string; version: string }> {
  for (const cmd of ['python3', '/usr/bin/python3']) {
    const r = await $({ quiet: true, nothrow: true })`${cmd} -c ${'import sys, pip; print("%d.%d" % sys.version_info[:2])'}`;
    if (r.exitCode === 0) return { cmd, version: r.stdout.trim() };
  }
  throw new Error('no python3 with pip found: TechDocs needs mkdocs from PyPI. Fix: apt-get install -y --no-install-recommends python3 python3-pip (scripts/ci/apt.sh does)');
}

/**
 * Installs (once) and returns the pinned mkdocs, for the host's python3 or, with `python`, for
 * that CPython version (the image's 3.11).
 */
export async function ensureMkdocs(log: (l: string) => void = () => {}, opts: { python?: string } = {}): Promise<MkdocsInstall> {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`TechDocs' pinned mkdocs wheels are for Linux x86_64, not ${process.platform}/${process.arch}: add that platform's hashes to ${MKDOCS_REQUIREMENTS}`);
  const req = await readFile(MKDOCS_REQUIREMENTS);
  const hash = createHash('sha256').update(req).digest('hex').slice(0, 12);
  const py = await python();
  const target = opts.python ?? py.version;
  if (!MKDOCS_PYTHONS.includes(target)) throw new Error(`python3 is ${py.cmd} (Python ${target}); the pinned mkdocs wheels are for CPython ${MKDOCS_PYTHONS.join(' and ')}. Fix: install Debian bookworm's python3 (scripts/ci/apt.sh), or add that version's hashes to ${MKDOCS_REQUIREMENTS}`);
  const dir = path.join(toolsDir(), `mkdocs-py${target}-${hash}`);
  const bin = path.join(dir, 'bin');
  if (!existsSync(path.join(bin, 'mkdocs'))) {
    const t0 = Date.now();
    log(`mkdocs: installing ${await pinnedTechdocsCore()} and its pinned dependencies for CPython ${target} from PyPI into ${dir}`);
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(path.join(tmp, 'bin'), { recursive: true });
    const cross = target === py.version ? [] : ['--python-version', target, '--implementation', 'cp', '--abi', `cp${target.replace('.', '')}`, '--platform', 'manylinux2014_x86_64'];
    await $({ quiet: true })`${py.cmd} -m pip install --disable-pip-version-check --no-input --require-hashes --only-binary=:all: --no-deps --no-compile ${cross} --target ${path.join(tmp, 'lib')} -r ${MKDOCS_REQUIREMENTS}`;
    // pip --target also writes console scripts bound to this host's interpreter: not relocatable.
    await rm(path.join(tmp, 'lib', 'bin'), { recursive: true, force: true });
    await writeFile(path.join(tmp, 'bin', 'mkdocs'), WRAPPER);
    await chmod(path.join(tmp, 'bin', 'mkdocs'), 0o755);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    log(`mkdocs: installed in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
  }
  if (target !== py.version) return { dir, bin, version: `(for CPython ${target}; not run on this host's Python ${py.version})` };
  const v = await $({ quiet: true, nothrow: true })`${path.join(bin, 'mkdocs')} --version`;
  if (v.exitCode !== 0) throw new Error(`${path.join(bin, 'mkdocs')} does not run (${v.stderr.trim().split('\n').pop()}): delete ${dir} and retry`);
  return { dir, bin, version: v.stdout.trim() };
}
