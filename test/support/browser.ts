/**
 * Debian's Chromium driven by playwright-core (no browser downloads: never `npx playwright install`).
 *
 *   const browser = await launchBrowser();
 *   const page = await browser.newPage();
 *   await page.goto(url);
 *   await screenshot(page, 'sso-alice-home');   // artifacts/screenshots/sso-alice-home.png
 *   await browser.close();                      // also removes the fresh profile dir
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { chromiumPath, ensureDebianPackage, hasChromium } from '../../scripts/lib/run/apt.ts';
import { progress, type Log } from '../../scripts/lib/run/process.ts';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserHandle {
  context: BrowserContext;
  newPage(): Promise<Page>;
  /** Closes Chromium and deletes its profile directory. */
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh --user-data-dir (a persistent context is the only way
 * playwright passes a user-data-dir; it is new and deleted on close, so nothing leaks between runs).
 */
export async function launchBrowser(opts: { log?: Log; viewport?: { width: number; height: number } } = {}): Promise<BrowserHandle> {
  const log = opts.log ?? progress('browser');
  await ensureDebianPackage(`Chromium (${chromiumPath}, Debian package chromium)`, hasChromium, log);
  const profile = await mkdtemp(path.join(os.tmpdir(), 'bk-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: opts.viewport ?? { width: 1280, height: 800 },
      timeout: 60_000,
    });
  } catch (e) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(`Chromium (${chromiumPath}) did not start: ${(e as Error).message}`);
  }
  log(`browser: Chromium ${context.browser()?.version() ?? ''} up (profile ${profile})`);
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The sign-in a person does: opens `startUrl`, lands on Keycloak's login page (a URL starting with
 * `authUrlPrefix`), types the user's name and password, and waits until Backstage is back at
 * `startUrl` showing who signed in (the profile page's user-entity-ref).
 */
export async function signInOnKeycloakPage(page: Page, startUrl: string, authUrlPrefix: string, user: { username: string; password: string }): Promise<void> {
  await page.goto(startUrl);
  await page.waitForURL((u) => u.toString().startsWith(authUrlPrefix), { timeout: 30_000 });
  await page.fill('#username', user.username);
  await page.fill('#password', user.password);
  await page.click('#kc-login');
  await page.waitForURL(startUrl, { timeout: 30_000 });
  await page.getByTestId('user-entity-ref').waitFor({ timeout: 60_000 });
}

/** Saves a full-page PNG to artifacts/screenshots/<name>.png and returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = path.join(repoRoot, 'artifacts', 'screenshots');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
