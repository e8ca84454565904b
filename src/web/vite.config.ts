import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { ICON_SIZES, iconPng } from './icons.js';
import { manifestNames } from './manifest.js';

/** Server routes a navigation must reach (never answered with the app's page by the service worker). */
const SERVER_PATHS = [
  '/graphql',
  '/content/',
  '/certificates/',
  '/verify/',
  '/exports/',
  '/xapi/',
  '/dev/',
  '/healthz',
  '/readyz',
];

/** Writes the generated icons into the build, before the service worker's precache list is made. */
const icons = (): Plugin => ({
  name: 'safety-training-icons',
  generateBundle() {
    for (const size of ICON_SIZES) {
      this.emitFile({ type: 'asset', fileName: `icons/icon-${size}.png`, source: iconPng(size) });
    }
  },
});

/**
 * The web app: sources in src/web/app, built into dist/web, served by the API process at `/`. A PWA: the
 * service worker precaches the app shell (so the app opens with no network) and keeps content files read
 * once; GraphQL reads and the outbox of offline actions live in the app's IndexedDB (POST requests cannot be
 * Cache API entries, and the cached answers must stay per signed-in person).
 */
export default defineConfig({
  root: new URL('./app/', import.meta.url).pathname,
  base: '/',
  plugins: [
    react(),
    icons(),
    VitePWA({
      registerType: 'autoUpdate',
      // A registration script file, not inline: the page's CSP allows no inline script.
      injectRegister: 'script',
      manifest: {
        ...manifestNames(),
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#f4f6f8',
        theme_color: '#1f5fa8',
        icons: ICON_SIZES.flatMap((size) => [
          { src: `/icons/icon-${size}.png`, sizes: `${size}x${size}`, type: 'image/png', purpose: 'any' },
          { src: `/icons/icon-${size}.png`, sizes: `${size}x${size}`, type: 'image/png', purpose: 'maskable' },
        ]),
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,png,svg,woff2}'],
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
        navigateFallback: '/index.html',
        navigateFallbackDenylist: SERVER_PATHS.map((prefix) => new RegExp(`^${prefix}`)),
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
        runtimeCaching: [
          {
            // Course documents and packages: the network's copy when there is one, else the last one read.
            urlPattern: ({ url, request }) => request.method === 'GET' && url.pathname.startsWith('/content/'),
            handler: 'NetworkFirst',
            options: {
              cacheName: 'content',
              networkTimeoutSeconds: 10,
              expiration: { maxEntries: 500, maxAgeSeconds: 30 * 24 * 3600 },
              cacheableResponse: { statuses: [200] },
            },
          },
          {
            // xAPI statements a content package sends offline: kept in the worker's IndexedDB queue and sent
            // in order when the network returns (statements carry their own ids: a replay is harmless).
            urlPattern: ({ url }) => url.pathname.startsWith('/xapi/statements'),
            method: 'POST',
            handler: 'NetworkOnly',
            options: { backgroundSync: { name: 'xapi-statements', options: { maxRetentionTime: 7 * 24 * 60 } } },
          },
          {
            urlPattern: ({ url }) => url.pathname.startsWith('/xapi/statements'),
            method: 'PUT',
            handler: 'NetworkOnly',
            options: { backgroundSync: { name: 'xapi-statements-put', options: { maxRetentionTime: 7 * 24 * 60 } } },
          },
        ],
      },
    }),
  ],
  build: {
    outDir: new URL('../../dist/web/', import.meta.url).pathname,
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
});
