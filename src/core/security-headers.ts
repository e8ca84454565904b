import { createHash } from 'node:crypto';

/**
 * What the browser is told about this server's pages (the web app, GraphiQL, the certificate verify
 * page): never render inside another origin's frame (the app signs in from `#token=` in the address,
 * and a framing page must not get a signed-in app to click through), send no Referer (addresses
 * carry tokens and certificate codes), trust the Content-Type, and load nothing but what the page
 * names in its Content-Security-Policy.
 */
export const PAGE_HEADERS = {
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
} as const;

/** A CSP source allowing exactly this inline `<script>` or `<style>` text. */
export const sha256Source = (inline: string) =>
  `'sha256-${createHash('sha256').update(inline, 'utf8').digest('base64')}'`;

// A host as a browser sends it: a name or IPv4 address, or an IPv6 address in brackets, with an optional port.
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The WebSocket sources of the host a request was sent to, for `connect-src`. Browsers implementing CSP 3
 * already let 'self' reach ws:/wss: of the same host; older ones need them named. A Host header that is
 * not a plain host adds nothing (and can never add a directive).
 */
export function sameHostWebSockets(host: string | undefined): string[] {
  return host && HOST.test(host) ? [`ws://${host}`, `wss://${host}`] : [];
}

export interface PolicySources {
  script: string[];
  style: string[];
  /** Defaults to 'self'. */
  font?: string[];
  /** The extra sources of connect-src besides 'self'. */
  connect: string[];
}

/**
 * A policy that loads only from this origin: scripts and styles as given (hashes of inline ones),
 * images also from data: URIs, connections to this origin (and its WebSockets), no plugins, no
 * <base>, forms posting only here, and no framing by anyone.
 */
export function contentSecurityPolicy(sources: PolicySources): string {
  return [
    "default-src 'self'",
    `script-src ${sources.script.join(' ')}`,
    `style-src ${sources.style.join(' ')}`,
    `font-src ${(sources.font ?? ["'self'"]).join(' ')}`,
    "img-src 'self' data:",
    `connect-src ${["'self'", ...sources.connect].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** The web app's policy: the Vite build has no inline script or style, so only its own files. */
export function webAppHeaders(host: string | undefined): Record<string, string> {
  const policy = contentSecurityPolicy({
    script: ["'self'"],
    style: ["'self'"],
    connect: sameHostWebSockets(host),
  });
  return { ...PAGE_HEADERS, 'content-security-policy': policy };
}
