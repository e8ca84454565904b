import { AxeBuilder } from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { setupTimeout } from '../support/citus.js';

/** Debian's `chromium` package, used when installed. */
const DEBIAN_CHROMIUM = '/usr/bin/chromium';
/** Named in a variable so type-checking does not need the package where Debian's Chromium is installed. */
const NPM_CHROMIUM = '@sparticuz/chromium';

/**
 * The browser the web tests drive through Playwright (whose own browser download cannot work offline):
 * CHROMIUM_PATH, else Debian's `chromium` when installed, else the Chromium of the npm package
 * `@sparticuz/chromium` (a dev dependency; no root needed), which it unpacks to /tmp on first use.
 */
async function chromiumPath(): Promise<string> {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  if (existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  const { default: packaged } = (await import(NPM_CHROMIUM)) as { default: { executablePath(): Promise<string> } };
  return packaged.executablePath();
}

async function launchBrowser(): Promise<Browser> {
  const executablePath = await chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(`The web tests need Chromium: nothing at CHROMIUM_PATH=${executablePath}.`);
  }
  return chromium.launch({
    executablePath,
    // Without the background-networking flags Chromium's own connections are refused here and it stalls.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Builds the web app when a source is newer than dist/web (as `npm start` does). */
export function buildWebApp(): void {
  execFileSync('npx', ['tsx', 'src/web/build.ts', '--if-stale'], { stdio: 'inherit', timeout: 300_000 });
}

/** The server's origin for the browser (127.0.0.1: the test server listens on IPv4 only). */
export const originOf = (graphqlUrl: string) => new URL(graphqlUrl).origin.replace('localhost', '127.0.0.1');

/**
 * Call before opening a page; the returned wait resolves once the server holds a live subscriber more than
 * it held then, so no event committed after it can be missed (the page's subscribe frame alone is not
 * enough: the server registers the subscription a moment later).
 */
export function liveSubscription(server: TestServer): () => Promise<void> {
  const subscribers = () => server.app.services.liveEvents.stats().subscribers;
  const before = subscribers();
  return () =>
    eventually(
      () => subscribers() > before,
      20_000,
      () => `live subscribers: ${subscribers()}`,
    );
}

/** What a web test file drives: the built app served by a test server, and a browser. */
export interface WebApp {
  readonly browser: Browser;
  readonly server: TestServer;
  /** The server's origin as the browser reaches it. */
  readonly origin: string;
  /** A new browser context, closed after the file's tests. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a new context at `path`, signed in with `token` (through `#token=`) when one is given. */
  open(token: string | undefined, path?: string, options?: BrowserContextOptions): Promise<Page>;
}

/**
 * Builds the web app when stale, launches the browser and starts a test server before the file's tests
 * (before the file's own `beforeAll`, which may use them), and closes all three after.
 */
export function useWebApp(serverEnv?: Parameters<typeof startTestServer>[0]): WebApp {
  let started: { browser: Browser; server: TestServer; origin: string } | undefined;
  const contexts: BrowserContext[] = [];
  const get = () => {
    if (!started) throw new Error('useWebApp: the browser and server start in beforeAll');
    return started;
  };
  beforeAll(async () => {
    buildWebApp();
    const browser = await launchBrowser();
    const server = await startTestServer(serverEnv);
    started = { browser, server, origin: originOf(server.url) };
  }, setupTimeout(360_000));
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await started?.browser.close();
    await started?.server.stop();
  });
  const web: WebApp = {
    get browser() {
      return get().browser;
    },
    get server() {
      return get().server;
    },
    get origin() {
      return get().origin;
    },
    async newContext(options) {
      const context = await get().browser.newContext(options);
      // Longer than Playwright's 30 s defaults: CI runs the whole suite on two loaded cores, where a page's
      // first load can take longer. What is slow is measured by the benchmarks, not here.
      context.setDefaultTimeout(60_000);
      context.setDefaultNavigationTimeout(90_000);
      contexts.push(context);
      return context;
    },
    async open(token, path = '/', options = { viewport: { width: 1280, height: 900 } }) {
      const page = await (await web.newContext(options)).newPage();
      await page.goto(`${get().origin}${path}${token ? `#token=${token}` : ''}`);
      return page;
    },
  };
  return web;
}

/** A landmark region of the page by its exact accessible name. */
export const region = (page: Page, name: string) => page.getByRole('region', { name, exact: true });

/** How far the page pans sideways beyond the window (0: not at all). */
export const sidewaysPan = async (page: Page) =>
  Number(await page.evaluate('document.scrollingElement.scrollWidth - window.innerWidth'));

/** axe-core's serious and critical violations on the page, each with the elements it names. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((n) => n.target).join(', ')})`);
}
