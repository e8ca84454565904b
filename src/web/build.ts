// `npm run build:web` builds the web app into dist/web with Vite; with `--if-stale` (before `npm start`
// and the browser tests) only when a source is newer than the last build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sources = ['src/web/app', 'src/generated/operations', 'src/web/vite.config.ts', 'src/web/icons.ts'].map((entry) =>
  path.join(root, entry),
);

function newestChange(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((name) => newestChange(path.join(entry, name))));
}

// Not serve.ts's WEB_DIST_DIR: importing the server's modules loads the Prisma client, which sets a global
// `__dirname` that misleads vite-plugin-pwa's lookup of its own package.json.
const index = path.join(root, 'dist/web/index.html');
const stale = !existsSync(index) || Math.max(...sources.map(newestChange)) > statSync(index).mtimeMs;
if (process.argv.includes('--if-stale') && !stale) {
  process.stdout.write('web app: dist/web is up to date\n');
} else {
  // A production bundle whatever NODE_ENV the caller runs under (tests run with NODE_ENV=test).
  process.env.NODE_ENV = 'production';
  await build({ mode: 'production', configFile: path.join(root, 'src/web/vite.config.ts'), logLevel: 'warn' });
  process.stdout.write('web app: built into dist/web\n');
}
