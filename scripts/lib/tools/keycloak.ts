/**
 * The Keycloak distribution and the Java runtime it runs on, as tools like the others: pinned in
 * pins.ts, provisioned into the tools cache, overridable (BK_KEYCLOAK_HOME, BK_JAVA_HOME).
 *
 *   ensureKeycloak() -> the unpacked `org.keycloak:keycloak-quarkus-dist` (pinned version), from
 *                       the tools cache or downloaded from Maven Central and checked against the
 *                       pinned sha256.
 *   ensureJava()     -> a JAVA_HOME whose JDK Keycloak supports (25 preferred, or 21). Never
 *                       downloaded: see dev/keycloak/README.md.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readdirSync } from 'node:fs';
import { mkdir, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { $ } from 'zx';
import { toolsDir } from '../paths.ts';
import { JAVA, KEYCLOAK, KEYCLOAK_VERSION } from './pins.ts';

export { KEYCLOAK_VERSION };
export const KEYCLOAK_SHA256 = KEYCLOAK.sha256;
export const KEYCLOAK_SIZE = KEYCLOAK.size;

const MAVEN_CENTRAL = process.env.BK_MAVEN_REPOSITORY ?? 'https://repo1.maven.org/maven2';

export function keycloakUrl(version = KEYCLOAK_VERSION): string {
  const { group, artifact, ext } = KEYCLOAK.maven;
  return `${MAVEN_CENTRAL}/${group.replace(/\./g, '/')}/${artifact}/${version}/${artifact}-${version}.${ext}`;
}

/** Directory the distribution is unpacked into: `<tools>/keycloak-<v>/` (holds bin/, lib/, ...). */
export function keycloakHome(version = KEYCLOAK_VERSION): string {
  return path.join(toolsDir(), `keycloak-${version}`);
}

type Log = (line: string) => void;
const stderrLog: Log = (l) => process.stderr.write(`${l}\n`);

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

let inflightKeycloak: Promise<string> | undefined;

/**
 * Returns the Keycloak home directory (with bin/kc.sh), downloading and unpacking it if needed.
 * With `provision: false` (the SSO tests under CI=true) a missing distribution is an error instead.
 */
export function ensureKeycloak(opts: { log?: Log; provision?: boolean } = {}): Promise<string> {
  if (opts.provision === false) {
    const home = process.env.BK_KEYCLOAK_HOME ?? keycloakHome();
    if (existsSync(path.join(home, 'bin', 'kc.sh'))) return Promise.resolve(home);
    return Promise.reject(
      new Error(
        `keycloak ${KEYCLOAK_VERSION} is not provisioned (${home} has no bin/kc.sh) and this run may not download it (CI=true: the SSO tier fails instead of skipping).\n` +
          'Fix: run `npm run tools -- ensure keycloak` (.ci/run does `ensure --all` before the tests), or set BK_KEYCLOAK_HOME.',
      ),
    );
  }
  if (!inflightKeycloak) {
    inflightKeycloak = resolveKeycloak(opts.log ?? stderrLog);
    inflightKeycloak.catch(() => (inflightKeycloak = undefined));
  }
  return inflightKeycloak;
}

async function resolveKeycloak(log: Log): Promise<string> {
  const override = process.env.BK_KEYCLOAK_HOME;
  if (override) {
    if (!existsSync(path.join(override, 'bin', 'kc.sh'))) {
      throw new Error(`BK_KEYCLOAK_HOME=${override} has no bin/kc.sh. Point it at an unpacked keycloak-quarkus-dist ${KEYCLOAK_VERSION} or unset it.`);
    }
    return override;
  }
  const home = keycloakHome();
  if (existsSync(path.join(home, 'bin', 'kc.sh'))) return home;

  const url = keycloakUrl();
  const started = Date.now();
  await mkdir(toolsDir(), { recursive: true });
  const archive = path.join(toolsDir(), `keycloak-quarkus-dist-${KEYCLOAK_VERSION}.tar.gz.part-${process.pid}`);
  const staging = `${home}.tmp-${process.pid}`;
  try {
    log(`keycloak: downloading ${url} (${mib(KEYCLOAK_SIZE)}, first time only)`);
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(15 * 60_000) });
    } catch (e) {
      throw new Error(`${url}: ${(e as Error).message}`);
    }
    if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status}`);
    const total = Number(res.headers.get('content-length') ?? KEYCLOAK_SIZE);
    let done = 0;
    let nextReport = 0.25;
    const hash = createHash('sha256');
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      done += chunk.length;
      hash.update(chunk);
      if (done / total >= nextReport) {
        log(`keycloak: ${Math.round((done / total) * 100)}% (${mib(done)}) ${((Date.now() - started) / 1000).toFixed(1)}s`);
        nextReport += 0.25;
      }
    });
    await pipeline(body, createWriteStream(archive));
    const got = hash.digest('hex');
    if (got !== KEYCLOAK_SHA256) {
      throw new Error(`${url}: sha256 ${got} does not match the pinned ${KEYCLOAK_SHA256}; refusing it`);
    }
    log(`keycloak: downloaded ${mib(done)} in ${((Date.now() - started) / 1000).toFixed(1)}s, sha256 ok; unpacking`);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    const untar = await $({ quiet: true, nothrow: true })`tar -xzf ${archive} -C ${staging} --strip-components=1`;
    if (!untar.ok) throw new Error(`unpacking ${archive}: ${untar.stderr.trim()}`);
    if (!existsSync(path.join(staging, 'bin', 'kc.sh'))) throw new Error(`${url}: archive has no bin/kc.sh`);
    await rm(home, { recursive: true, force: true });
    await rename(staging, home);
    log(`keycloak: ${KEYCLOAK_VERSION} ready in ${((Date.now() - started) / 1000).toFixed(1)}s -> ${home}`);
    return home;
  } catch (e) {
    throw new Error(
      [
        `Keycloak ${KEYCLOAK_VERSION} is not available. Tried:`,
        `  - BK_KEYCLOAK_HOME: unset`,
        `  - cache: ${home} absent`,
        `  - Maven Central: ${(e as Error).message}`,
        `Fix: make ${MAVEN_CENTRAL} reachable (or set BK_MAVEN_REPOSITORY to a mirror), or unpack`,
        `     keycloak-quarkus-dist-${KEYCLOAK_VERSION}.tar.gz yourself and set BK_KEYCLOAK_HOME=/path/to/keycloak-${KEYCLOAK_VERSION}.`,
      ].join('\n'),
    );
  } finally {
    await rm(archive, { force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

/** Java feature releases Keycloak 26 supports that we accept, most preferred first (pins.ts). */
export const KEYCLOAK_JAVA_MAJORS = JAVA.majors;

export interface JavaRuntime {
  home: string;
  major: number;
  /** First line of `java -version`. */
  version: string;
}

async function javaMajor(home: string): Promise<{ major: number; version: string } | undefined> {
  const bin = path.join(home, 'bin', 'java');
  if (!existsSync(bin)) return undefined;
  const out = await $({ quiet: true, nothrow: true, timeout: '20s' })`${bin} -version`;
  const text = `${out.stderr}${out.stdout}`;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!out.ok || !m) return undefined;
  let major = Number(m[1]);
  if (major === 1) major = Number(m[2]); // 1.8 style
  return { major, version: text.split('\n')[0]!.trim() };
}

let inflightJava: Promise<JavaRuntime> | undefined;

/**
 * Returns a Java runtime Keycloak supports (major 25 or 21, 25 preferred). Looks at BK_JAVA_HOME,
 * then JAVA_HOME, then every JDK under /usr/lib/jvm, then `java` on PATH.
 */
export function ensureJava(opts: { log?: Log } = {}): Promise<JavaRuntime> {
  if (!inflightJava) {
    inflightJava = resolveJava(opts.log ?? stderrLog);
    inflightJava.catch(() => (inflightJava = undefined));
  }
  return inflightJava;
}

async function resolveJava(_log: Log): Promise<JavaRuntime> {
  const accepted = KEYCLOAK_JAVA_MAJORS as readonly number[];
  const tried: string[] = [];
  const override = process.env.BK_JAVA_HOME;
  if (override) {
    const v = await javaMajor(override);
    if (v && accepted.includes(v.major)) return { home: override, ...v };
    throw new Error(`BK_JAVA_HOME=${override} is ${v ? `Java ${v.major}` : 'not a Java home'}; Keycloak ${KEYCLOAK_VERSION} here needs Java ${accepted.join(' or ')}. Fix it or unset it.`);
  }
  const candidates: string[] = [];
  if (process.env.JAVA_HOME) candidates.push(process.env.JAVA_HOME);
  const jvmDir = '/usr/lib/jvm';
  if (existsSync(jvmDir)) {
    for (const d of readdirSync(jvmDir).sort()) candidates.push(path.join(jvmDir, d));
  }
  const onPath = await $({ quiet: true, nothrow: true })`readlink -f ${'/usr/bin/java'}`;
  if (onPath.ok && onPath.stdout.trim().endsWith('/bin/java')) candidates.push(path.dirname(path.dirname(onPath.stdout.trim())));

  const found: JavaRuntime[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    let real: string;
    try {
      real = await realpath(c);
    } catch {
      tried.push(`${c}: missing`);
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const v = await javaMajor(real);
    if (!v) {
      tried.push(`${real}: no bin/java`);
      continue;
    }
    if (accepted.includes(v.major)) found.push({ home: real, ...v });
    else tried.push(`${real}: Java ${v.major}`);
  }
  found.sort((a, b) => accepted.indexOf(a.major) - accepted.indexOf(b.major));
  if (found[0]) return found[0];
  throw new Error(
    [
      `No Java runtime for Keycloak ${KEYCLOAK_VERSION} (needs Java ${accepted.join(' or ')}). Tried:`,
      ...(tried.length ? tried.map((t) => `  - ${t}`) : ['  - JAVA_HOME unset, /usr/lib/jvm empty, no java on PATH']),
      'Fix: install a JDK 25 or 21 (e.g. Temurin 25) and set BK_JAVA_HOME=/path/to/jdk, or put it under /usr/lib/jvm.',
    ].join('\n'),
  );
}

/** Verifies a file against a sha256 (used by tests and the tools CLI). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}
