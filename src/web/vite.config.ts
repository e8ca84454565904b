import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The web app: sources in src/web/app, built into dist/web, served by the API process at `/`. */
export default defineConfig({
  root: new URL('./app/', import.meta.url).pathname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: new URL('../../dist/web/', import.meta.url).pathname,
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
});
