// `npm run seed:demo`: fills the demo tenant (ids in src/web/demo-tenant.ts, data in src/web/demo-data.ts) of the
// database `npm start` uses, through the API (the running server's own when it has the embedded database open, else
// one started in this process for the run), then prints tokens to try it.
import { ConfigurationError, loadConfig } from '../src/config.js';
import { DataFolderInUse } from '../src/core/db.js';
import { mintDemoTokens, seedDemoTenant } from '../src/web/demo-data.js';
import { DEMO_ADMIN, DEMO_SAFETY_OFFICER, DEMO_SERVICE, DEMO_WORKERS } from '../src/web/demo-tenant.js';
import { startLocalApi } from './local-api.js';
import { SEED_DEMO_PATH } from '../src/web/serve.js';

const TOKEN_LIFETIME = '30d';

/** What the person running the command must change; printed as one line, without a stack trace. */
class SeedRefused extends Error {}

try {
  await main();
} catch (error) {
  if (!(error instanceof SeedRefused || error instanceof ConfigurationError)) throw error;
  console.error(`seed:demo: ${error.message}`);
  process.exitCode = 1;
}

async function main(): Promise<void> {
  const serverConfig = loadConfig();
  if (!serverConfig.auth.jwtSecret)
    throw new SeedRefused('tokens can only be minted with an HS256 JWT_SECRET (JWKS_URL is set).');
  const tokens = await mintDemoTokens(serverConfig.auth.jwtSecret, TOKEN_LIFETIME);

  // An embedded database is open in one process only: when `npm start` runs on it, that server seeds itself.
  const running =
    !serverConfig.databaseUrl &&
    (await fetch(`http://127.0.0.1:${serverConfig.port}/healthz`).then(
      (response) => response.ok,
      () => false,
    ));
  if (running) {
    const response = await fetch(`http://127.0.0.1:${serverConfig.port}${SEED_DEMO_PATH}`, { method: 'POST' });
    if (!response.ok) {
      throw new SeedRefused(
        `the API on port ${serverConfig.port} does not seed itself (it runs with JWT_SECRET set, or is ` +
          `another version); stop it, run seed:demo, then start it again.`,
      );
    }
    console.log(((await response.json()) as { summary: string }).summary);
  } else {
    const { app } = await startLocalApi().catch((error: unknown) => {
      if (!(error instanceof DataFolderInUse)) throw error;
      // The usual cause: `npm start` runs on this folder with another PORT than this command was given.
      throw new SeedRefused(
        `no API answers on port ${serverConfig.port} (PORT), but process ${error.holder} has the embedded database ` +
          `${error.dataDir} (PGLITE_DATA_DIR) open. If it is \`npm start\` on another port, run this with its port: ` +
          `PORT=<its port> npm run seed:demo. Otherwise stop that process, or set PGLITE_DATA_DIR to another folder.`,
      );
    });
    try {
      console.log(await seedDemoTenant(app, tokens));
    } finally {
      await app.stop();
    }
  }

  console.log(
    `\nTokens (valid ${TOKEN_LIFETIME}; start the API with \`npm start\`, then paste a header line into GraphiQL's ` +
      `Headers tab at http://localhost:${serverConfig.port}/graphql):`,
  );
  for (const person of [DEMO_ADMIN, DEMO_SAFETY_OFFICER, DEMO_SERVICE, DEMO_WORKERS[0]!]) {
    const token = tokens.get(person.id)!;
    console.log(`\n# ${person.name} — ${person.role} (user ${person.id})`);
    console.log(token);
    console.log(JSON.stringify({ Authorization: `Bearer ${token}` }));
  }
}
