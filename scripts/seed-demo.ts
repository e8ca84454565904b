// `npm run seed:demo`: fills the demo tenant (ids in scripts/demo-tenant.ts, data in scripts/demo-data.ts) of the
// database `npm start` uses, through the API started in this process for the run, then prints tokens to try it.
import { loadConfig } from '../src/core/config.js';
import { mintDemoTokens, seedDemoTenant } from '../src/web/demo-data.js';
import { DEMO_ADMIN, DEMO_SAFETY_OFFICER, DEMO_SERVICE, DEMO_WORKERS } from '../src/web/demo-tenant.js';
import { startLocalApi } from './local-api.js';

const TOKEN_LIFETIME = '30d';

const serverConfig = loadConfig();
if (!serverConfig.databaseUrl) {
  // An embedded database lives in one process: seeding the folder a running server has open would be lost.
  const running = await fetch(`http://127.0.0.1:${serverConfig.port}/healthz`).then(
    (response) => response.ok,
    () => false,
  );
  if (running) {
    console.error(
      `seed:demo: an API answers on port ${serverConfig.port}; stop it first (the embedded database ` +
        `${serverConfig.pgliteDataDir} can be open in one process only), then seed and start it again.`,
    );
    process.exit(1);
  }
}
if (!serverConfig.auth.jwtSecret) {
  console.error('seed:demo: tokens can only be minted with an HS256 JWT_SECRET (JWKS_URL is set).');
  process.exit(1);
}

const tokens = await mintDemoTokens(serverConfig.auth.jwtSecret, TOKEN_LIFETIME);
const { app } = await startLocalApi();
try {
  console.log(await seedDemoTenant(app, tokens));
} finally {
  await app.stop();
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
