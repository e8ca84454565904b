import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase, type Database } from '../../src/core/db.js';
import { DEMO_TENANT_ID, DEMO_USERS, DEMO_WORKERS } from '../../src/web/demo-tenant.js';
import { freePort } from '../support/processes.js';
import { freshDatabase, onPostgres } from '../support/database.js';
import { TEST_JWT_SECRET } from '../support/server.js';

/**
 * `npm run seed:demo` as a newcomer runs it, on the database `npm start` would use (a PGlite data folder,
 * or PostgreSQL when the suite runs against a server): the demo tenant gets assignments in every state
 * the dashboard shows, overdue and cancelled included, under the fixed ids other tools rely on.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'training-seed-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function seed(env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/seed-demo.ts'],
      { cwd: root, env: { ...process.env, NODE_ENV: 'development', JWT_SECRET: TEST_JWT_SECRET, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

describe('npm run seed:demo', () => {
  it('fills the demo tenant with assignments in every state, once, and prints ready-to-paste headers', async () => {
    const env: NodeJS.ProcessEnv = { PORT: String(await freePort()) };
    let database: () => Promise<Database>;
    if (onPostgres) {
      const target = await freshDatabase({ migrated: false });
      onTestFinished(() => target.drop());
      env.DATABASE_URL = target.url;
      database = () => openDatabase({ url: target.url });
    } else {
      env.DATABASE_URL = '';
      env.PGLITE_DATA_DIR = path.join(dataDir, 'pglite');
      database = () => openDatabase({ dataDir: env.PGLITE_DATA_DIR });
    }

    const first = await seed(env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Seeded tenant 7e0a1c2e-5afe-4000-8000-000000000001: 6 courses, 6 workers/);
    expect(first.stdout).toMatch(/; 3 zones \(21 shifts\), 3 pieces of equipment, 11 risk scores\./);
    const headers = first.stdout.split('\n').filter((line) => line.startsWith('{"Authorization"'));
    expect(headers).toHaveLength(4);
    for (const line of headers)
      expect(JSON.parse(line)).toEqual({ Authorization: expect.stringMatching(/^Bearer ey/) });

    const again = await seed(env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^The demo tenant already has courses; not seeding twice\./);

    // Read back as the demo admin under RLS (forced on every table, the owner included).
    const db = await database();
    try {
      const { byStatus, profiles, risk } = await db.withConnection(async (connection) => {
        await connection.query('BEGIN');
        try {
          await connection.query('SET LOCAL ROLE training_app');
          await connection.query(
            `SELECT set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true),
                    set_config('app.role', 'admin', true)`,
            [DEMO_TENANT_ID, DEMO_USERS[0]!.id],
          );
          const statuses = await connection.query<{ status: string; n: number }>(
            `SELECT training_effective_status(status, due_date) AS status, count(*)::int AS n
             FROM training_assignments GROUP BY 1`,
          );
          const ids = await connection.query<{ id: string }>('SELECT id::text FROM profiles ORDER BY id');
          const [risk] = await connection.query<{ zones: number; equipment: number; scores: number }>(
            `SELECT (SELECT count(DISTINCT zone_id) FROM shift_assignments)::int AS zones,
                    (SELECT count(DISTINCT equipment_id) FROM equipment_operators)::int AS equipment,
                    (SELECT count(*) FROM predictive_scores)::int AS scores`,
          );
          return {
            risk,
            byStatus: Object.fromEntries(statuses.map((row) => [row.status, row.n])),
            profiles: ids.map((row) => row.id),
          };
        } finally {
          await connection.query('ROLLBACK');
        }
      });
      expect(Object.keys(byStatus).sort()).toEqual(['assigned', 'cancelled', 'completed', 'in_progress', 'overdue']);
      expect(byStatus.overdue).toBe(DEMO_WORKERS.length);
      expect(profiles).toEqual(DEMO_USERS.map((user) => user.id).sort());
      // Zones with shifts, equipment with operators and risk scores: Auto-assign's Preview has people to propose.
      expect(risk).toEqual({ zones: 3, equipment: 3, scores: 11 });
    } finally {
      await db.close();
    }
  }, 300_000);

  it('names PORT and the data folder in use, in one line, when another process has the embedded database open', async () => {
    // A live process (this one) holds the folder's lock, as `npm start` on another port does.
    const folder = path.join(dataDir, 'held');
    writeFileSync(`${folder}.lock`, String(process.pid));
    const port = await freePort();
    const result = await seed({ DATABASE_URL: '', PGLITE_DATA_DIR: folder, PORT: String(port) });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n'), result.stderr).toEqual([
      `seed:demo: no API answers on port ${port} (PORT), but process ${process.pid} has the embedded database ` +
        `${folder} (PGLITE_DATA_DIR) open. If it is \`npm start\` on another port, run this with its port: ` +
        `PORT=<its port> npm run seed:demo. Otherwise stop that process, or set PGLITE_DATA_DIR to another folder.`,
    ]);
  });
});
