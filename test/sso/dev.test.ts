/**
 * `npm run dev` as a person uses it: it starts the stack, prints the URLs and credentials, serves
 * through the proxy, and Ctrl-C stops every process it started.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { freePort } from '../../scripts/lib/run/process.ts';

/** PIDs of the programs the stack runs (Keycloak's JVM, oauth2-proxy, PostgreSQL, the Backstage backend). */
function stackProcesses(): Set<string> {
  const out = new Set<string>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (/\bjava\b.*keycloak|oauth2-proxy|\bpostgres\b|node packages\/backend/.test(cmd)) out.add(`${pid} ${cmd.slice(0, 80)}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(false)));
    s.on('error', () => resolve(true));
  });
}

describe('npm run dev', () => {
  it('prints URLs and credentials, serves the sign-in, and Ctrl-C leaves nothing running', async () => {
    const before = stackProcesses();
    const port = await freePort();
    const kcPort = await freePort();
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/dev.ts', '--port', String(port), '--keycloak-port', String(kcPort)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 300_000;
    while (!output.includes('Ctrl-C stops everything.') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 500));
    expect(output, output.slice(-2000)).toContain('Ctrl-C stops everything.');
    expect(output).toMatch(new RegExp(`Backstage \\(through oauth2-proxy\\): +http://localhost:${port}`));
    expect(output).toContain('alice / alice-dev-password (admins)');
    expect(output).toMatch(/\[dev \+\d+\.\ds\]/); // progress with elapsed time
    expect(output).toMatch(/Backstage chart: (STAND-IN|real chart)/); // never a silent stand-in
    expect(output).toContain('sign-in mode oauth2Proxy');

    const res = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toContain(`http://127.0.0.1:${kcPort}/realms/backstage/protocol/openid-connect/auth`);
    const during = stackProcesses();
    expect(during.size).toBeGreaterThan(before.size);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('nothing left running');
    expect(await refused(port)).toBe(true);
    expect(await refused(kcPort)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    const left = [...stackProcesses()].filter((p) => !before.has(p));
    expect(left).toEqual([]);
  });

  function runDev(args: string[]): Promise<{ code: number | null; output: string; ms: number }> {
    const started = Date.now();
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/dev.ts', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (b: Buffer) => (output += b.toString()));
      child.stderr.on('data', (b: Buffer) => (output += b.toString()));
      child.on('exit', (code) => resolve({ code, output, ms: Date.now() - started }));
    });
  }

  it('--help prints the usage and starts nothing', async () => {
    const before = stackProcesses();
    const r = await runDev(['--help']);
    expect(r.code).toBe(0);
    expect(r.output).toContain('usage: npm run dev -- [--mode oauth2Proxy|verifiedToken]');
    expect(r.output).not.toContain('[dev +');
    expect([...stackProcesses()].filter((p) => !before.has(p))).toEqual([]);
  });

  it('refuses an unknown mode, port or argument naming it, before starting anything', async () => {
    const mode = await runDev(['--mode', 'saml']);
    expect(mode.code).toBe(2);
    expect(mode.output).toContain('--mode saml is not a sign-in mode this stack runs; use one of oauth2Proxy, verifiedToken');
    const port = await runDev(['--port', '70000']);
    expect(port.code).toBe(2);
    expect(port.output).toContain('--port 70000 is not a TCP port');
    const extra = await runDev(['--prot', '1']);
    expect(extra.code).toBe(2);
    expect(extra.output).toContain('unknown argument(s): --prot');
  });
});
