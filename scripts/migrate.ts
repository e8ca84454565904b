// `npm run migrate`: applies pending SQL migrations to DATABASE_URL or the embedded PGlite.
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/core/db.js';
import { migrate } from '../src/core/migrate.js';

const config = loadConfig();
const db = await openDatabase({ url: config.databaseUrl, dataDir: config.pgliteDataDir });
try {
  const applied = await migrate(db);
  console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
} finally {
  await db.close();
}
