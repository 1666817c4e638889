/**
 * mkdocs with mkdocs-techdocs-core: the TechDocs generator of the Backstage app
 * (techdocs.generator.runIn: local runs `mkdocs build` from PATH). Installed from PyPI with every
 * wheel pinned by sha256 (backstage/techdocs/requirements.txt), into the tools cache as a
 * relocatable directory:
 *
 *   <toolsDir>/mkdocs-<hash>/lib/      the packages (pip --target, no scripts, no venv)
 *   <toolsDir>/mkdocs-<hash>/bin/mkdocs  `python3 -m mkdocs` with PYTHONPATH=../lib
 *
 * The directory works wherever it is copied next to a CPython 3.11 (the Backstage image carries it
 * at /opt/techdocs with Debian bookworm's python3). The hash is over the requirements file, so a
 * changed pin installs anew.
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

async function python(): Promise<string> {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const r = await $({ quiet: true, nothrow: true })`${candidate} -c ${'import sys, pip; print("%d.%d" % sys.version_info[:2])'}`;
    if (r.exitCode === 0) {
      if (r.stdout.trim() !== '3.11') throw new Error(`${candidate} is Python ${r.stdout.trim()}; the pinned mkdocs wheels are for CPython 3.11 (Debian bookworm's python3). Fix: install Debian's python3 and python3-pip (scripts/ci/apt.sh)`);
      return candidate;
    }
  }
  throw new Error('no python3 with pip found: TechDocs needs mkdocs from PyPI. Fix: apt-get install -y --no-install-recommends python3 python3-pip (scripts/ci/apt.sh does)');
}

/** Installs (once) and returns the pinned mkdocs. */
export async function ensureMkdocs(log: (l: string) => void = () => {}): Promise<MkdocsInstall> {
  const req = await readFile(MKDOCS_REQUIREMENTS);
  const hash = createHash('sha256').update(req).digest('hex').slice(0, 12);
  const dir = path.join(toolsDir(), `mkdocs-${hash}`);
  const bin = path.join(dir, 'bin');
  if (!existsSync(path.join(bin, 'mkdocs'))) {
    const t0 = Date.now();
    const py = await python();
    log(`mkdocs: installing ${await pinnedTechdocsCore()} and its pinned dependencies from PyPI into ${dir}`);
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(path.join(tmp, 'bin'), { recursive: true });
    await $({ quiet: true })`${py} -m pip install --disable-pip-version-check --no-input --require-hashes --only-binary=:all: --no-deps --no-compile --target ${path.join(tmp, 'lib')} -r ${MKDOCS_REQUIREMENTS}`;
    // pip --target also writes console scripts bound to this host's interpreter: not relocatable.
    await rm(path.join(tmp, 'lib', 'bin'), { recursive: true, force: true });
    await writeFile(path.join(tmp, 'bin', 'mkdocs'), WRAPPER);
    await chmod(path.join(tmp, 'bin', 'mkdocs'), 0o755);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    log(`mkdocs: installed in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
  }
  const v = await $({ quiet: true, nothrow: true })`${path.join(bin, 'mkdocs')} --version`;
  if (v.exitCode !== 0) throw new Error(`${path.join(bin, 'mkdocs')} does not run (${v.stderr.trim().split('\n').pop()}): delete ${dir} and retry`);
  return { dir, bin, version: v.stdout.trim() };
}
