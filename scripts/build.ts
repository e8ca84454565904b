// `npm run build`: compiles src/ and scripts/ (generated code included) to JavaScript in dist/, copies the files
// the code reads at run time beside it and builds the web app into dist/web, so production runs
// `node dist/src/main.js` with no TypeScript tooling. Run `npm run generate` first (npm install does).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');

/** Files read through `import.meta.url`/`import.meta.dirname`, at the same place relative to the code. */
const ASSETS = ['src/core/graphiql/index.html', 'prisma/migrations'];

if (!existsSync(path.join(root, 'src/generated/prisma/client.ts'))) {
  console.error('src/generated is missing: run `npm run generate` first.');
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
for (const asset of ASSETS) cpSync(path.join(root, asset), path.join(dist, asset), { recursive: true });
// The web app the server serves at `/` (dist/web, emptied with dist above).
execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/web/build.ts')], {
  cwd: root,
  stdio: 'inherit',
});
console.log(`Built ${path.relative(process.cwd(), dist) || '.'}: run \`node dist/src/main.js\``);
