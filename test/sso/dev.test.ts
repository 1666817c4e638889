/**
 * `npm run dev` as a person uses it: it starts the stack, prints the URLs and credentials, serves
 * through the proxy, and Ctrl-C stops every process it started.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { freePort } from '../../scripts/lib/run/process.ts';

/** PIDs of the programs the stack runs (Keycloak's JVM, oauth2-proxy, PostgreSQL, the Backstage backend). */
function stackProcesses(): Set<string> {
  const out = new Set<string>();
  // Only this host's processes: containers of other jobs on the machine (a Keycloak or PostgreSQL
  // in Docker) live in other mount namespaces.
  const ownNs = readlinkSync('/proc/self/ns/mnt');
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/mnt`) !== ownNs) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (/\bjava\b.*keycloak|oauth2-proxy|\bpostgres\b|node packages\/backend/.test(cmd)) out.add(`${pid} ${cmd.slice(0, 80)}`);
    } catch {
      /* gone */
    }
  }
  return out;
}


/** pid -> [ppid, pgid, command] of every process in /proc. */
function processTable(): Map<number, [number, number, string]> {
  const out = new Map<number, [number, number, string]>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').slice(0, 80);
      out.set(Number(pid), [Number(rest[1]), Number(rest[2]), cmd]);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Process groups of everything `root` started (its descendants), while it runs. */
function groupsOf(root: number): Set<number> {
  const table = processTable();
  const groups = new Set<number>();
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [pid, [ppid, pgid]] of table) {
      if (ppid === p) {
        queue.push(pid);
        if (pgid !== root) groups.add(pgid);
      }
    }
  }
  return groups;
}

/** Processes still alive in `groups` (what Ctrl-C should have stopped). Precise on a shared machine. */
function aliveIn(groups: Set<number>): string[] {
  return [...processTable()].filter(([, [, pgid]]) => groups.has(pgid)).map(([pid, [, , cmd]]) => `${pid} ${cmd}`);
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

/**
 * `npm run dev` with these arguments, its output collected; `until` waits (bounded) for a pattern.
 * It gets a private TMPDIR, so `tempLeft()` lists the temp folders (stack files, Keycloak home,
 * PostgreSQL data) of this dev run only, whatever else runs on the machine.
 */
function spawnDev(args: string[]) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bk-devtest-'));
  chmodSync(tmp, 0o1777); // like /tmp: PostgreSQL runs as its own user when we are root
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/dev.ts', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
  const dev = {
    child,
    output: '',
    tempLeft: () => readdirSync(tmp),
    removeTemp: () => rmSync(tmp, { recursive: true, force: true }),
    exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))),
    async until(pattern: RegExp, timeoutMs: number, intervalMs = 500): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(dev.output) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, intervalMs));
    },
  };
  child.stdout.on('data', (b: Buffer) => (dev.output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (dev.output += b.toString()));
  return dev;
}

describe('npm run dev', () => {
  it('prints URLs and credentials, serves the sign-in, and Ctrl-C leaves nothing running', async () => {
    const port = await freePort();
    const kcPort = await freePort();
    const dev = spawnDev(['--port', String(port), '--keycloak-port', String(kcPort)]);
    const { child, exited } = dev;
    await dev.until(/Ctrl-C stops everything\./, 300_000);
    expect(dev.output, dev.output.slice(-2000)).toContain('Ctrl-C stops everything.');
    expect(dev.output).toMatch(new RegExp(`Backstage \\(through oauth2-proxy\\): +http://localhost:${port}`));
    expect(dev.output).toContain('alice / alice-dev-password (admins)');
    expect(dev.output).toMatch(/\[dev \+\d+\.\ds\]/); // progress with elapsed time
    expect(dev.output).toMatch(/Backstage chart: (STAND-IN|real chart)/); // never a silent stand-in
    expect(dev.output).toContain('sign-in mode oauth2Proxy');

    const res = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toContain(`http://127.0.0.1:${kcPort}/realms/backstage/protocol/openid-connect/auth`);
    const groups = groupsOf(child.pid!);
    expect(groups.size).toBeGreaterThanOrEqual(4); // Keycloak, PostgreSQL, Backstage, oauth2-proxy

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(dev.output).toContain('nothing left running');
    expect(await refused(port)).toBe(true);
    expect(await refused(kcPort)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    // Nothing of what dev started survives (checked by process group: other jobs on a shared
    // machine may start a Keycloak or PostgreSQL of their own meanwhile).
    expect(aliveIn(groups)).toEqual([]);
  });

  async function runDev(args: string[]): Promise<{ code: number | null; output: string }> {
    const dev = spawnDev(args);
    const code = await dev.exited;
    return { code, output: dev.output };
  }

  it('--help prints the usage and starts nothing', async () => {
    const before = stackProcesses();
    const r = await runDev(['--help']);
    expect(r.code).toBe(0);
    expect(r.output).toContain('usage: npm run dev -- [--mode oauth2Proxy|verifiedToken|oidc|oauth2]');
    expect(r.output).not.toContain('[dev +');
    expect([...stackProcesses()].filter((p) => !before.has(p))).toEqual([]);
  });

  it('refuses an unknown mode, port or argument naming it, before starting anything', async () => {
    const mode = await runDev(['--mode', 'saml']);
    expect(mode.code).toBe(2);
    expect(mode.output).toContain('--mode saml is not a sign-in mode this stack runs; use one of oauth2Proxy, verifiedToken, oidc, oauth2');
    const port = await runDev(['--port', '70000']);
    expect(port.code).toBe(2);
    expect(port.output).toContain('--port 70000 is not a TCP port');
    const extra = await runDev(['--prot', '1']);
    expect(extra.code).toBe(2);
    expect(extra.output).toContain('unknown argument(s): --prot');
  });

  it('--mode oidc runs no proxy: Backstage itself answers on --port with its Keycloak sign-in, and Ctrl-C leaves nothing', async () => {
    const port = await freePort();
    const kcPort = await freePort();
    const dev = spawnDev(['--mode', 'oidc', '--port', String(port), '--keycloak-port', String(kcPort)]);
    const { child, exited } = dev;
    await dev.until(/Ctrl-C stops everything\./, 300_000);
    expect(dev.output, dev.output.slice(-2000)).toContain('Ctrl-C stops everything.');
    expect(dev.output).toMatch(new RegExp(`Backstage \\(signs in itself\\): +http://localhost:${port}`));
    expect(dev.output).not.toContain('oauth2-proxy: ready');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toMatch(/"signInProvider": "oidc"/);
    const start = await fetch(`http://127.0.0.1:${port}/api/auth/oidc/start?env=production&scope=openid&origin=${encodeURIComponent(`http://localhost:${port}`)}`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    expect(start.headers.get('location')).toContain(`http://127.0.0.1:${kcPort}/realms/backstage/protocol/openid-connect/auth`);
    const groups = groupsOf(child.pid!);
    expect(aliveIn(groups).some((p) => /oauth2-proxy/.test(p))).toBe(false);
    expect(groups.size).toBeGreaterThanOrEqual(3); // Keycloak, PostgreSQL, Backstage
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await refused(port)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(aliveIn(groups)).toEqual([]);
    expect(dev.tempLeft()).toEqual([]);
    dev.removeTemp();
  });

  it('Ctrl-C while the stack is still starting stops what runs and leaves no temp folders', async () => {
    const dev = spawnDev(['--port', String(await freePort()), '--keycloak-port', String(await freePort())]);
    const { child, exited } = dev;
    // Keycloak is starting (its home and the stack's folder exist, PostgreSQL runs).
    await dev.until(/keycloak: starting/, 180_000, 200);
    expect(dev.output, dev.output.slice(-2000)).toMatch(/keycloak: starting/);
    expect(dev.tempLeft().length).toBeGreaterThan(0);
    const groups = groupsOf(child.pid!);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(dev.output).toContain('nothing left running');
    expect(dev.output).not.toMatch(/^dev: (?!stopp)/m);
    await new Promise((r) => setTimeout(r, 1000));
    expect(aliveIn(groups)).toEqual([]);
    expect(dev.tempLeft()).toEqual([]);
    dev.removeTemp();
  });
});
