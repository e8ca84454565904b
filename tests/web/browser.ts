import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

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

export async function launchBrowser(): Promise<Browser> {
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

/** Resolves once the page has subscribed over graphql-ws (so no event can be missed after it). */
export function subscribed(page: Page): Promise<void> {
  return new Promise((resolve) => {
    page.on('websocket', (socket) => {
      socket.on('framesent', (frame) => {
        if (typeof frame.payload === 'string' && frame.payload.includes('"type":"subscribe"')) {
          // Let the server register the subscription with its notification hub.
          setTimeout(resolve, 300);
        }
      });
    });
  });
}
