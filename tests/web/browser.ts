import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * The browser the web tests drive: Debian's `chromium` package through Playwright
 * (Playwright's own browser download cannot work on our offline machines).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The web tests need Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` ` +
        '(or set CHROMIUM_PATH to a Chromium binary).',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
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
