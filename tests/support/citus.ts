import pg from 'pg';
import type { Database } from '../../src/core/db.js';
import { TENANT_TABLES } from './tenant-tables.js';

/**
 * With CITUS=1 and TEST_DATABASE_URL naming a Citus coordinator, each test database is distributed as
 * production would be: the worker nodes registered in the server database's `pg_dist_node` get the
 * same database with the extension, the new database registers them, and once migrated every tenant
 * table is distributed by `tenant_id` (the rest become reference tables). Citus keeps its metadata per
 * database, so this runs for every database a test makes.
 */
export const onCitus = process.env.CITUS === '1';

/**
 * The timeout of a setup hook that makes a test database: `ms`, what the hook needs on PGlite and
 * PostgreSQL, and on Citus at least 600 s, since distributing a new database alone takes 25–90 s.
 */
export function setupTimeout(ms: number): number {
  return onCitus ? Math.max(ms, 600_000) : ms;
}

interface Node {
  nodename: string;
  nodeport: number;
}

/** Creates `name` with the extension on every worker and registers the coordinator and workers in it. */
export async function prepareCitusDatabase(serverUrl: string, name: string): Promise<void> {
  const workers = await query<Node>(
    serverUrl,
    "SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodeid",
  );
  if (workers.length === 0) throw new Error('CITUS=1: the server database has no worker in pg_dist_node');
  for (const worker of workers) {
    const workerServer = onNode(serverUrl, worker);
    await query(workerServer, `CREATE DATABASE "${name}"`);
    await query(withDatabase(workerServer, name), 'CREATE EXTENSION citus');
  }
  const coordinator = new URL(serverUrl);
  const statements = [
    'CREATE EXTENSION citus',
    `SELECT citus_set_coordinator_host('${coordinator.hostname}', ${Number(coordinator.port || 5432)})`,
    ...workers.map((worker) => `SELECT citus_add_node('${worker.nodename}', ${worker.nodeport})`),
  ];
  for (const sql of statements) await query(withDatabase(serverUrl, name), sql);
}

/** Drops `name` on every worker (the coordinator's copy is dropped by the caller). */
export async function dropCitusDatabase(serverUrl: string, name: string): Promise<void> {
  const workers = await query<Node>(
    serverUrl,
    "SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary'",
  );
  for (const worker of workers) {
    await query(onNode(serverUrl, worker), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

/**
 * Distributes every tenant table by `tenant_id`, referenced tables before the tables whose foreign
 * keys point at them, and makes every other table of the schema but the migration history a
 * reference table. Citus opens its connections to the workers as the current role, so the roles a
 * request switches to (NOLOGIN on PostgreSQL) may log in here.
 */
export async function distributeTables(databaseUrl: string): Promise<void> {
  const roles = await query<{ name: string }>(
    databaseUrl,
    "SELECT rolname AS name FROM pg_roles WHERE rolname LIKE 'training\\_%' AND NOT rolcanlogin",
  );
  for (const { name } of roles) await query(databaseUrl, `ALTER ROLE "${name}" LOGIN`);
  const references = await query<{ child: string; parent: string }>(
    databaseUrl,
    `SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent
       FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace`,
  );
  const tables = await query<{ name: string }>(
    databaseUrl,
    `SELECT relname AS name FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND relname <> '_prisma_migrations'`,
  );
  const tenant = new Set<string>(TENANT_TABLES);
  const done = new Set<string>();
  const visit = async (table: string, path: string[]): Promise<void> => {
    if (done.has(table)) return;
    if (path.includes(table)) throw new Error(`foreign-key cycle: ${[...path, table].join(' → ')}`);
    for (const { parent } of references.filter((ref) => ref.child === table && ref.parent !== table)) {
      await visit(parent, [...path, table]);
    }
    const distribute = tenant.has(table)
      ? `SELECT create_distributed_table('"${table}"', 'tenant_id')`
      : `SELECT create_reference_table('"${table}"')`;
    await query(databaseUrl, distribute);
    done.add(table);
  };
  for (const { name } of tables) await visit(name, []);
  for (const fn of CROSS_TENANT_FUNCTIONS) {
    await query(databaseUrl, `ALTER FUNCTION ${fn} SET citus.multi_task_query_log_level = 'off'`);
  }
  for (const fn of TENANT_FUNCTIONS) {
    await query(
      databaseUrl,
      `SELECT create_distributed_function('${fn}', '$1', colocate_with := 'training_assignments', force_delegation := true)`,
    );
  }
}

/**
 * SECURITY DEFINER functions whose first argument is the tenant: distributed by it, a call runs whole on the node of
 * the tenant's shards, in the caller's connection, and may join its tables with the grader's functions that read
 * them. Run from the coordinator, their statements would open a connection of the owner's, which Citus refuses on
 * shards the caller's connection wrote and which waits for the caller's locks.
 */
const TENANT_FUNCTIONS = [
  'quiz_start_attempt(uuid, uuid)',
  'quiz_close_attempts(uuid, uuid[], boolean)',
  'quiz_regrade(uuid, uuid)',
  'quiz_attempt_review(uuid, uuid[])',
  'quiz_expired_scores(uuid, uuid[])',
  'training_user_at_risk(uuid, uuid, uuid)',
];

/**
 * SECURITY DEFINER functions that read across tenants on purpose, before any tenant is known: an LRS credential or a
 * cmi5 launch token by its id, a certificate by its public code, and the tenants a scheduled job has work in. Their reads go to every shard, which this
 * cluster otherwise refuses.
 */
const CROSS_TENANT_FUNCTIONS = [
  'lrs_authenticate(uuid, bytea)',
  'xapi_launch_fetch(bytea, bytea)',
  'verify_certificate(text)',
  'scheduled_job_tenants(text)',
];

function onNode(serverUrl: string, node: Node): string {
  const url = new URL(serverUrl);
  url.hostname = node.nodename;
  url.port = String(node.nodeport);
  return url.toString();
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function query<Row>(url: string, sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end();
  }
}

type WithConnection = Database['withConnection'];

/**
 * The tests' own SQL on a connection of the pool (seeding, reading back as the owner) may span tenants:
 * only the API's statements are held to one shard (the API takes no such connection).
 */
export function spanningTenants(withConnection: WithConnection): WithConnection {
  return (fn) =>
    withConnection(async (connection) => {
      await connection.exec(`SET citus.multi_task_query_log_level = 'off'`);
      try {
        return await fn(connection);
      } finally {
        await connection.exec('RESET citus.multi_task_query_log_level');
      }
    });
}
