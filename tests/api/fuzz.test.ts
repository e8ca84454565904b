import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { type GraphQLField } from 'graphql';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/core/http.js';
import { schema } from '../../src/schema.js';
import { EnumValue, OMITTED, selectionOf, stringsIn, toJson, toLiteral } from '../support/fuzz.js';
import { dayFromToday, ok, startTestServer, TEST_JWT_SECRET, type Actor, type TestServer } from '../support/server.js';
import { fingerprints, TENANT_TABLES } from '../support/sql.js';
import { insertNeighbours } from '../support/tenant-rows.js';
import { assignCourse, completeAssignment, createCourse, startAssignment } from '../support/training.js';
import { ROLES, type Role, type BadCaller, type CallerName, type Pools, IdRef } from './fuzz/ids.js';
import { type Case, caseArb } from './fuzz/cases.js';
import { regressions } from './fuzz/regressions.js';
import { examine } from './fuzz/oracle.js';
import { setupTimeout } from '../support/citus.js';

/**
 * Every mutation of the live schema (so a new one is fuzzed without touching
 * this file), called by every role and by callers with bad tokens, with
 * arguments generated from its input types: hostile strings (unicode, NUL,
 * lone surrogates, very long, SQL- and JSON-looking), numbers at and past every
 * edge, nulls, wrong types, missing and extra fields, lists where scalars go and
 * the other way round, ids of this tenant, of another tenant and malformed
 * ones; sent as variables, as inline literals or a mix.
 *
 * After every response:
 *   - it is HTTP 200 or 400 (401 for a bad token, or no token where one is needed) with a GraphQL body: a
 *     result, or `errors` each with a message and a code of the catalogue,
 *     never INTERNAL_SERVER_ERROR, a stack trace or SQL/Prisma text;
 *   - if it refused the call, every tenant table is byte-for-byte what it was
 *     (owner SQL md5); if it succeeded, that state becomes the new baseline.
 *
 * Fixed seed: FUZZ_SEED (printed on failure) and FUZZ_RUNS (per mutation)
 * override it; FUZZ_SHRINK=1 shrinks a failure, FUZZ_VERBOSE=1 prints outcomes.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SHRINK = process.env.FUZZ_SHRINK === '1';
const VERBOSE = Boolean(process.env.FUZZ_VERBOSE);

const MUTATIONS = Object.values(schema.getMutationType()?.getFields() ?? {});

let server: TestServer;
/** Every tenant table (scheduled_job_runs and the counters included), all tenants' rows. */
const tables: readonly string[] = TENANT_TABLES;
let baseline: Record<string, string> = {};
let tenantA = '';
let poolsA: Pools;
let poolsB: Pools;
const actors = {} as Record<Role, Actor>;
const badAuthorization = {} as Record<BadCaller, string | undefined>;

const checksums = () => server.owner.fingerprints(tables);

async function loadPools(tenantId: string): Promise<Pools> {
  const ids = async (sql: string) =>
    (await server.owner.query<{ id: string }>(sql, [tenantId])).map((row) => String(row.id));
  return {
    user: await ids(`SELECT id FROM profiles WHERE tenant_id = $1 ORDER BY created_at DESC, id`),
    course: await ids(`SELECT id FROM training_courses WHERE tenant_id = $1 ORDER BY created_at DESC, id`),
    assignment: await ids(`SELECT id FROM training_assignments WHERE tenant_id = $1 ORDER BY created_at DESC, id`),
    // So that start and complete succeed now and then, not only refuse.
    startable: await ids(
      `SELECT id FROM training_assignments WHERE tenant_id = $1 AND status IN ('assigned', 'overdue')
       ORDER BY created_at DESC, id`,
    ),
    started: await ids(
      `SELECT id FROM training_assignments WHERE tenant_id = $1 AND status = 'in_progress' ORDER BY created_at DESC, id`,
    ),
    completion: await ids(`SELECT id FROM training_completions WHERE tenant_id = $1 ORDER BY created_at DESC, id`),
    shift: await ids(`SELECT id FROM shift_assignments WHERE tenant_id = $1 ORDER BY starts_at DESC, id`),
    zone: await ids(
      `SELECT zone_id AS id FROM shift_assignments WHERE tenant_id = $1
       UNION SELECT entity_id FROM predictive_scores WHERE tenant_id = $1 AND entity_type = 'zone' ORDER BY 1`,
    ),
    equipment: await ids(
      `SELECT equipment_id AS id FROM equipment_operators WHERE tenant_id = $1
       UNION SELECT entity_id FROM predictive_scores WHERE tenant_id = $1 AND entity_type = 'equipment' ORDER BY 1`,
    ),
    notification: await ids(`SELECT id FROM notifications WHERE tenant_id = $1 ORDER BY created_at DESC, id`),
    // A certificate is named by its code (revokeCertificate).
    certificate: await ids(`SELECT code AS id FROM certificates WHERE tenant_id = $1 ORDER BY issued_at DESC, code`),
  };
}

/**
 * A fresh course, assigned to tenant A's admin, safety officer and worker and
 * started (written as the owner), so that each mutation's run finds something
 * to complete or cancel whatever the runs before it did.
 */
async function topUp(label: string): Promise<void> {
  const users = [actors.admin.userId, actors.safety_officer.userId, actors.worker.userId];
  await server.owner.query(
    `WITH course AS (
       INSERT INTO training_courses (tenant_id, title, category, expiry_months, issues_certificate, created_by)
       VALUES ($1, $2, 'other', 6, true, $3) RETURNING id)
     INSERT INTO training_assignments (tenant_id, course_id, user_id, assigned_by, due_date, status, started_at)
     SELECT $1, course.id, u.id, $3, current_date + 7, 'in_progress', now() FROM course, unnest($4::uuid[]) AS u(id)`,
    [tenantA, `Alpha top-up before ${label}`, actors.admin.userId, users],
  );
  poolsA = await loadPools(tenantA);
  baseline = await checksums();
}

// ---------------------------------------------------------------- arrange

beforeAll(async () => {
  server = await startTestServer();

  // Tenant B: the other tenant, whose ids tenant A's callers throw at the API.
  const bAdmin = await server.actor('admin', { name: 'Bravo Admin' });
  const bWorker = await server.actor('worker', { tenantId: bAdmin.tenantId, name: 'Bravo Worker' });
  for (const actor of [bAdmin, bWorker]) await ok(actor.request('{ me { id } }'));
  const bCourse = (title: string) =>
    createCourse(bAdmin, { title, category: 'COMPLIANCE', expiryMonths: 12, issuesCertificate: true });
  const bAssign = async (courseId: string) => assignCourse(bAdmin, courseId, bWorker.userId, dayFromToday(10));
  const bDone = await bAssign(await bCourse('Bravo Permits'));
  await startAssignment(bWorker, bDone);
  await completeAssignment(bWorker, bDone, { score: 90, completionTimeMinutes: 30 });
  const bStarted = await bAssign(await bCourse('Bravo Lockout'));
  await startAssignment(bWorker, bStarted);
  await bAssign(await bCourse('Bravo Ladders'));
  const neighbourScores = { worker: 91, zone: 70, equipment: 65 };
  await insertNeighbours(server.owner, bAdmin.tenantId, bWorker.userId, neighbourScores);
  // B's rows in the newer tenant tables (B already has notifications, a certificate and counters):
  // preferences, an escalation of the passed completion, a scheduler run.
  await ok(
    bWorker.request(`mutation { updateNotificationPreferences(input: { emailOptOut: [OVERDUE] }) { emailOptOut } }`),
  );
  await server.owner.query(
    `INSERT INTO risk_escalations (tenant_id, completion_id, assignment_id, course_id, user_id, entity_type, entity_id,
                                   score_before, score_now, threshold, completed_at)
     SELECT tenant_id, id, assignment_id, course_id, user_id, 'worker', user_id, 91, 88, 50, completed_at
     FROM training_completions WHERE tenant_id = $1 AND passed`,
    [bAdmin.tenantId],
  );
  await server.owner.query(
    `INSERT INTO scheduled_job_runs (job, tenant_id, slot, instance, affected, finished_at)
     VALUES ('auto_assign', $1, date_trunc('hour', now()), 'fuzz-test', 0, now())`,
    [bAdmin.tenantId],
  );
  poolsB = await loadPools(bAdmin.tenantId);

  // Tenant A: the callers, one per role, each signed in once (the profile refresh).
  actors.admin = await server.actor('admin', { name: 'Alpha Admin' });
  tenantA = actors.admin.tenantId;
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    actors[role] = await server.actor(role, { tenantId: tenantA, name: `Alpha ${role}` });
  }
  for (const actor of Object.values(actors)) await ok(actor.request('{ me { id } }'));
  const { admin, worker } = actors;
  const ladders = await createCourse(admin, { title: 'Alpha Ladders', category: 'SAFETY_FUNDAMENTALS' });
  const forklift = await createCourse(admin, {
    title: 'Alpha Forklift',
    category: 'EQUIPMENT_SAFETY',
    autoAssignEnabled: true,
    riskThreshold: 50,
    entityType: 'GENERAL',
    expiryMonths: 12,
    issuesCertificate: true,
  });
  const spill = await createCourse(admin, { title: 'Alpha Spill Drill', category: 'EMERGENCY_RESPONSE' });
  const assign = (courseId: string, userId: string) => assignCourse(admin, courseId, userId);
  // Some assigned, some started (by whoever they belong to), so start and complete can succeed.
  await assign(ladders, worker.userId);
  await assign(ladders, actors.safety_officer.userId);
  for (const [courseId, actor] of [
    [forklift, worker],
    [spill, worker],
    [forklift, actors.safety_officer],
    [spill, admin],
  ] as const) {
    await startAssignment(actor, await assign(courseId, actor.userId));
  }
  await insertNeighbours(server.owner, tenantA, worker.userId, neighbourScores);
  poolsA = await loadPools(tenantA);

  // Callers whose token is absent or unusable.
  const sign = (claims: Record<string, unknown>, secret: string, expires: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(admin.userId)
      .setIssuedAt()
      .setExpirationTime(expires)
      .sign(new TextEncoder().encode(secret));
  const inAnHour = Math.floor(Date.now() / 1000) + 3600;
  badAuthorization.anonymous = undefined;
  badAuthorization.forged = `Bearer ${await sign({ tenant_id: tenantA, role: 'admin' }, `${TEST_JWT_SECRET}-not`, inAnHour)}`;
  badAuthorization.expired = `Bearer ${await sign({ tenant_id: tenantA, role: 'admin' }, TEST_JWT_SECRET, inAnHour - 7200)}`;
  badAuthorization['unknown-role'] =
    `Bearer ${await sign({ tenant_id: tenantA, role: 'superuser' }, TEST_JWT_SECRET, inAnHour)}`;
  badAuthorization.garbage = 'Bearer not.a.jwt';
  badAuthorization.basic = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

  baseline = await checksums();
}, setupTimeout(120_000));

afterAll(() => server?.stop());

function resolveIds(value: unknown): unknown {
  if (value instanceof IdRef) return value.resolve(poolsA, poolsB);
  if (value instanceof EnumValue || typeof value === 'symbol') return value;
  if (Array.isArray(value)) return value.map(resolveIds);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      Object.defineProperty(out, key, { value: resolveIds(inner), enumerable: true, writable: true });
    }
    return out;
  }
  return value;
}

function render(field: GraphQLField<unknown, unknown>, c: Case) {
  const args = resolveIds(c.args) as Record<string, unknown>;
  const declarations: string[] = [];
  const uses: string[] = [];
  const variables: Record<string, unknown> = {};
  field.args.forEach((arg, index) => {
    if (!(arg.name in args)) return;
    const value = args[arg.name];
    const inline = c.transport === 'inline' || (c.transport === 'mixed' && ((c.inlineMask >> index) & 1) === 1);
    if (inline) {
      if (value !== OMITTED) uses.push(`${arg.name}: ${toLiteral(value)}`);
      return;
    }
    declarations.push(`$${arg.name}: ${String(arg.type)}`);
    uses.push(`${arg.name}: $${arg.name}`);
    if (value !== OMITTED) variables[arg.name] = toJson(value);
  });
  if (c.extraArgument) uses.push(`tenantId: ${JSON.stringify(poolsB.user[0] ?? randomUUID())}`);
  if (c.junkVariables) {
    Object.defineProperty(variables, '__proto__', { value: { role: 'admin' }, enumerable: true });
    variables.tenantId = poolsB.user[0];
  }
  const query =
    `mutation Fuzz${declarations.length ? `(${declarations.join(', ')})` : ''} ` +
    `{ ${field.name}${uses.length ? `(${uses.join(', ')})` : ''} ${selectionOf(field.type)} }`;
  return { query, variables, sent: stringsIn(args) };
}

function authorizationFor(caller: CallerName): string | undefined {
  return (ROLES as readonly string[]).includes(caller)
    ? `Bearer ${actors[caller as Role].token}`
    : badAuthorization[caller as BadCaller];
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const char of text) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash >>> 0;
}

const truncate = (text: string, max = 1500) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;

// ---------------------------------------------------------------- properties

describe('fuzzing every mutation', () => {
  it('the schema has mutations, and the oracle sees a changed table and a leaked SQL error', async () => {
    expect(MUTATIONS.map((field) => field.name)).toEqual(
      expect.arrayContaining([
        'createTrainingCourse',
        'updateTrainingCourse',
        'assignTrainingCourse',
        'startTrainingAssignment',
        'completeTrainingAssignment',
        'cancelTrainingAssignment',
        'sweepOverdueTrainingAssignments',
      ]),
    );
    expect(await checksums()).toEqual(baseline);
    const changed = await server.db.withConnection(async (c) => {
      await c.query('BEGIN');
      try {
        await c.query(`UPDATE training_completions SET score = 1 WHERE tenant_id <> $1`, [tenantA]);
        await c.query(`DELETE FROM equipment_operators WHERE tenant_id = $1`, [tenantA]);
        const row = await fingerprints(c, tables);
        return tables.filter((table) => row[table] !== baseline[table]);
      } finally {
        await c.query('ROLLBACK');
      }
    });
    // The counters move with B's passed completion's score, and the audit trail records both writes.
    expect(changed).toEqual([
      'equipment_operators',
      'training_completions',
      'training_completion_counts',
      'audit_events',
    ]);
    expect(await checksums()).toEqual(baseline);
    const leaked = (message: string, sent: string[] = []) =>
      examine(
        'x',
        'admin',
        200,
        'application/json',
        JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }], data: null }),
        sent,
      ).problems;
    expect(leaked('Invalid `prisma.trainingCourse.create()` invocation')).toHaveLength(1);
    expect(leaked('new row violates row-level security policy for table "profiles"')).toHaveLength(1);
    expect(leaked('date/time field value out of range: "0000-01-01"')).toHaveLength(1);
    const injection = "'; DELETE FROM profiles WHERE ('1'='1";
    expect(leaked(`Variable "$input" got invalid value ${JSON.stringify(injection)}`, [injection])).toEqual([]);
    expect(leaked('input.title: must be at most 200 characters')).toEqual([]);
  });

  for (const field of MUTATIONS) {
    it(`${field.name}: any input, any caller — a clean answer, and nothing changes unless it succeeds`, async () => {
      const seed = (SEED ^ fnv1a(field.name)) | 0;
      await topUp(field.name);
      const outcomes = new Map<string, number>();
      let reachedResolver = 0;
      let lastCase = '';
      const property = fc.asyncProperty(caseArb(field), async (c) => {
        const { query, variables, sent } = render(field, c);
        const body = JSON.stringify({ operationName: 'Fuzz', query, variables });
        fc.pre(Buffer.byteLength(body) < MAX_BODY_BYTES);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        const authorization = authorizationFor(c.caller);
        if (authorization !== undefined) headers.authorization = authorization;
        const response = await fetch(server.url, { method: 'POST', headers, body }).catch((error: Error) => {
          throw new Error(`${error.message} (${String(error.cause)})\ncaller ${c.caller}\nquery: ${truncate(query)}`);
        });
        const text = await response.text();
        const verdict = examine(
          field.name,
          c.caller,
          response.status,
          response.headers.get('content-type') ?? '',
          text,
          sent,
        );
        if (verdict.refused) {
          const now = await checksums();
          const changed = tables.filter((table) => now[table] !== baseline[table]);
          if (changed.length) verdict.problems.push(`refused, yet ${changed.join(', ')} changed`);
          baseline = now;
        } else {
          // A caller's profile that upsertProfiles rewrote is set from their token again at their next request
          // (by design): every caller makes that request now, so it is not counted against the next case.
          if (field.name === 'upsertProfiles')
            for (const actor of Object.values(actors)) await ok(actor.request('{ me { id } }'));
          baseline = await checksums();
          poolsA = await loadPools(tenantA);
        }
        const codes = [...new Set(verdict.codes)].join('+');
        const outcome = verdict.refused ? codes || `HTTP ${response.status}` : codes ? `OK (below it: ${codes})` : 'OK';
        outcomes.set(`${c.mode} ${outcome}`, (outcomes.get(`${c.mode} ${outcome}`) ?? 0) + 1);
        if (
          response.status === 200 &&
          (!verdict.refused || verdict.codes.some((code) => ['NOT_FOUND', 'BAD_USER_INPUT', 'CONFLICT'].includes(code)))
        ) {
          reachedResolver++;
        }
        lastCase =
          `caller ${c.caller}, ${c.mode}${c.focus ? ` at ${c.focus}` : ''}, ${c.transport}\nquery: ${truncate(query)}\n` +
          `variables: ${truncate(JSON.stringify(variables))}\nresponse (HTTP ${response.status}): ${truncate(text)}`;
        if (verdict.problems.length) throw new Error(`${verdict.problems.join('\n')}\n${lastCase}`);
      });
      const details = await fc.check(property, {
        seed,
        numRuns: RUNS,
        endOnFailure: !SHRINK,
        examples: regressions(field.name).map((c) => [c] as [Case]),
      });
      if (VERBOSE) console.warn(field.name, Object.fromEntries([...outcomes].sort()));
      if (details.failed) {
        throw new Error(
          `${field.name} failed after ${details.numRuns} runs (FUZZ_SEED=${SEED}, seed ${seed}, path ` +
            `${details.counterexamplePath}; FUZZ_SHRINK=1 to shrink).\n${String(details.errorInstance)}`,
        );
      }
      // The run exercised the resolver, not only validation and authorisation.
      expect(reachedResolver, JSON.stringify(Object.fromEntries(outcomes))).toBeGreaterThan(0);
    }, 120_000);
  }
});
