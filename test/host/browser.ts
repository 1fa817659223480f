/**
 * Headless Chromium (Debian's `chromium`, driven by playwright-core, which
 * downloads no browser) pointed at a local code-server, with every request to a
 * host other than loopback refused.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { killTagged } from './process';

/** Where Chromium is expected; `CHROMIUM_PATH` overrides. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const found = candidates.find((c): c is string => !!c && fs.existsSync(c));
  if (!found) {
    throw new Error(
      'No Chromium found for the browser-driven tests: install it (`sudo apt-get install -y chromium`) or set CHROMIUM_PATH. To run without these layers, pass --skip-integration --skip-e2e explicitly.',
    );
  }
  return found;
}

export interface Session {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface BrowserOptions {
  /**
   * GPU flags in place of `--disable-gpu` (the workbench runs without a GPU):
   * e.g. SwiftShader's software WebGL and WebGPU for the Signal page's backends.
   */
  readonly gpu?: readonly string[];
}

export async function openBrowser(options: BrowserOptions = {}): Promise<Session> {
  const { chromium } = await import('playwright-core');
  const tag = `INITLENS_BROWSER_${randomUUID()}`;
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    env: { ...process.env, [tag]: '1' },
    args: [
      '--no-sandbox',
      ...(options.gpu ?? ['--disable-gpu']),
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // WebSockets bypass page routes; a dead proxy keeps them off the network
      // too; Chromium never proxies loopback.
      '--proxy-server=http://127.0.0.1:9',
    ],
  });
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  await context.route(
    (url) => !LOOPBACK.has(url.hostname),
    (route) => route.abort(),
  );
  const page = await context.newPage();
  return {
    browser,
    context,
    page,
    async close() {
      await browser.close().catch(() => undefined);
      killTagged(tag);
    },
  };
}
