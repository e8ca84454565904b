import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Database } from '../../src/core/db.js';
import { openDatabase } from '../../src/core/db.js';
import { migrate, readMigrations } from '../../src/core/migrate.js';
import { TENANT_TABLES } from './tenant-tables.js';

/**
 * With CITUS=1 and TEST_DATABASE_URL naming a Citus coordinator, each test database is distributed as
 * production would be: the worker nodes registered in the server database's `pg_dist_node` get the
 * same database with the extension, the new database registers them, and once migrated every tenant
 * table is distributed by `tenant_id` (the rest become reference tables). Citus keeps its metadata per
 * database: a migrated test database is a copy of a template made so, an unmigrated one is prepared
 * the same way before the test migrates it.
 */
export const onCitus = process.env.CITUS === '1';

/**
 * The timeout of a setup hook that makes a test database: `ms`, what the hook needs on PGlite and
 * PostgreSQL, and on Citus at least 600 s: the first hook distributes the template (25–90 s) and the
 * others wait for it.
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
  const workers = await workerNodes(serverUrl);
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

/**
 * Makes `name`, migrated and distributed, as a copy of a template database on the coordinator and on every
 * worker (`CREATE DATABASE … TEMPLATE`, file by file: Citus's metadata, the shards and their placements are
 * the same in each copy, and Citus reaches a database's shards under the database's own name). Distributing a
 * new database takes 25–90 s; a copy a few seconds. The template is made once per set of migrations and of
 * this file and of workers, by whichever test comes first (the others wait on an advisory lock), and kept between
 * runs.
 */
export async function copyCitusTemplate(serverUrl: string, name: string): Promise<void> {
  const template = await citusTemplate(serverUrl);
  for (const node of [serverUrl, ...(await workerUrls(serverUrl))]) {
    await query(node, `CREATE DATABASE "${name}" TEMPLATE "${template}" STRATEGY FILE_COPY`);
  }
}

async function citusTemplate(serverUrl: string): Promise<string> {
  const fingerprint = createHash('sha256');
  fingerprint.update(`${(await workerUrls(serverUrl)).join(' ')}\n`);
  for (const migration of readMigrations()) fingerprint.update(`${migration.name}:${migration.checksum}\n`);
  for (const file of ['citus.ts', 'tenant-tables.ts']) fingerprint.update(readFileSync(new URL(file, import.meta.url)));
  const template = `training_citus_${fingerprint.digest('hex').slice(0, 16)}`;
  const lock = new pg.Client({ connectionString: serverUrl });
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock(hashtext('training citus template'))");
    const { rows } = await lock.query('SELECT 1 FROM pg_database WHERE datname = $1 AND NOT datallowconn', [template]);
    if (rows.length === 0) await buildTemplate(serverUrl, template);
    return template;
  } finally {
    await lock.end();
  }
}

/**
 * A database that is copied must have no session: once built, the template refuses connections and the
 * sessions still in it (Citus's maintenance daemon, the coordinator's connections to the workers) end.
 * It is marked done by refusing connections, so a build cut short is made again.
 */
async function buildTemplate(serverUrl: string, template: string): Promise<void> {
  const nodes = [serverUrl, ...(await workerUrls(serverUrl))];
  for (const node of nodes) await query(node, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
  await query(serverUrl, `CREATE DATABASE "${template}"`);
  await prepareCitusDatabase(serverUrl, template);
  const url = withDatabase(serverUrl, template);
  const db = await openDatabase({ url, poolMax: 2 });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  await distributeTables(url);
  for (const node of nodes.reverse()) {
    await query(node, `ALTER DATABASE "${template}" WITH ALLOW_CONNECTIONS false`);
    await query(node, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${template}'`);
  }
}

/** The primary workers registered in the server database's `pg_dist_node`, in the order they were added. */
async function workerNodes(serverUrl: string): Promise<Node[]> {
  const workers = await query<Node>(
    serverUrl,
    "SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodeid",
  );
  if (workers.length === 0) throw new Error('CITUS=1: the server database has no worker in pg_dist_node');
  return workers;
}

async function workerUrls(serverUrl: string): Promise<string[]> {
  return (await workerNodes(serverUrl)).map((worker) => onNode(serverUrl, worker));
}

/** Drops `name` on every worker (the coordinator's copy is dropped by the caller). */
export async function dropCitusDatabase(serverUrl: string, name: string): Promise<void> {
  for (const url of await workerUrls(serverUrl)) await query(url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/**
 * Distributes every tenant table by `tenant_id`, referenced tables before the tables whose foreign
 * keys point at them, and makes every other table of the schema but the migration history a
 * reference table. Citus opens its connections to the workers as the current role, so the roles a
 * request switches to (NOLOGIN on PostgreSQL) may log in here.
 */
async function distributeTables(databaseUrl: string): Promise<void> {
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
 * cmi5 launch token by its id, a certificate by its public code, the tenants a scheduled job has work in, those with
 * e-mail due, a logo by its digest (a public link), and the outbox's size for the operators' metrics. Their reads go
 * to every shard, which this
 * cluster otherwise refuses.
 */
const CROSS_TENANT_FUNCTIONS = [
  'lrs_authenticate(uuid, bytea)',
  'xapi_launch_fetch(bytea, bytea)',
  'verify_certificate(text)',
  'scheduled_job_tenants(text)',
  'notification_email_due_tenants(integer)',
  'tenant_logo(text)',
  'notification_outbox_counts()',
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
 * The tests' own SQL on a connection of the pool (seeding, reading back as the owner) may span tenants, and join
 * by other columns than the tenant's: only the API's statements are held to one shard (the API takes no such
 * connection).
 */
export function spanningTenants(withConnection: WithConnection): WithConnection {
  return (fn) =>
    withConnection(async (connection) => {
      await connection.exec(`SET citus.multi_task_query_log_level = 'off'; SET citus.enable_repartition_joins = on`);
      try {
        return await fn(connection);
      } finally {
        await connection.exec('RESET citus.multi_task_query_log_level; RESET citus.enable_repartition_joins');
      }
    });
}
