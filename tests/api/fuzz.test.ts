import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNullableType,
} from 'graphql';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/core/http.js';
import { schema } from '../../src/schema.js';
import {
  anyJson,
  EnumValue,
  OMITTED,
  selectionOf,
  stringsIn,
  toJson,
  toLiteral,
  wildDay,
  wildInstant,
  wildInt,
  wildNumber,
  wildString,
} from '../support/fuzz.js';
import { dayFromToday, ok, startTestServer, TEST_JWT_SECRET, type Actor, type TestServer } from '../support/server.js';
import { fingerprints, TENANT_TABLES } from '../support/sql.js';
import { insertNeighbours } from '../support/tenant-rows.js';
import { assignCourse, completeAssignment, createCourse, startAssignment } from '../support/training.js';

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

const ROLES = ['admin', 'safety_officer', 'worker', 'service'] as const;
type Role = (typeof ROLES)[number];
/** Callers without a usable token: none of them may ever change anything. */
const BAD_CALLERS = ['anonymous', 'forged', 'expired', 'unknown-role', 'garbage', 'basic'] as const;
type BadCaller = (typeof BAD_CALLERS)[number];
type CallerName = Role | BadCaller;

const CATALOGUE = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
]);

/** What a database or driver error, or a stack, looks like when it escapes to a client. */
const LEAK =
  /prisma|invocation|violates|constraint|sqlstate|syntax error at or near|invalid input syntax|out of range|relation "|column "|duplicate key|\bP\d{4}\b|node_modules|\.ts:\d+|\bat (async )?\S+ \(|training_app|\b(select|insert into|update|delete from)\b.*\b(from|values|set|where)\b/i;

type IdKind =
  | 'user'
  | 'course'
  | 'assignment'
  | 'startable'
  | 'started'
  | 'completion'
  | 'shift'
  | 'zone'
  | 'equipment'
  | 'notification'
  | 'certificate';
type Pools = Record<IdKind, string[]>;

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
}, 120_000);

afterAll(() => server?.stop());

// ---------------------------------------------------------------- generating arguments

const MALFORMED_IDS: ((id: string) => unknown)[] = [
  () => '',
  () => ' ',
  () => 'not-a-uuid',
  () => '00000000-0000-0000-0000-000000000000',
  () => 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  () => 123,
  () => 0,
  () => -1,
  () => 'x'.repeat(5000),
  (id) => id.replace(/-/g, ''),
  (id) => `{${id}}`,
  (id) => `urn:uuid:${id}`,
  (id) => ` ${id}`,
  (id) => `${id}\n`,
  (id) => `${id}\u0000`,
  (id) => id.slice(0, -1),
  (id) => `${id}0`,
  (id) => `${id}'; DROP TABLE profiles; --`,
  (id) => `${id}' OR '1'='1`,
  (id) => id.replace(/[0-9]/g, (digit) => String.fromCharCode(0xff10 + Number(digit))),
];

type IdSource = 'A' | 'A-newest' | 'B' | 'random' | 'malformed';

/** An id, resolved when the request is built (tenant A's pools grow as calls succeed). */
class IdRef {
  constructor(
    readonly source: IdSource,
    readonly kind: IdKind,
    readonly pick: number,
    readonly upper = false,
  ) {}
  resolve(): unknown {
    const pool = (this.source === 'B' ? poolsB : poolsA)[this.kind];
    const size = this.source === 'A-newest' ? Math.min(3, pool.length) : pool.length;
    const id = this.source === 'random' ? randomUUID() : (pool[this.pick % Math.max(size, 1)] ?? randomUUID());
    if (this.source === 'malformed') return MALFORMED_IDS[this.pick % MALFORMED_IDS.length]!(id);
    return this.upper ? id.toUpperCase() : id;
  }
  [fc.toStringMethod](): string {
    return this.source === 'malformed'
      ? `malformed#${this.pick % MALFORMED_IDS.length}`
      : `${this.source}.${this.kind}[${this.pick}]${this.upper ? '.upper' : ''}`;
  }
}

const ALL_KINDS: IdKind[] = ['user', 'course', 'assignment', 'completion', 'shift', 'zone', 'equipment'];
const ACTIVE_ASSIGNMENT: IdKind[] = ['assignment', 'startable', 'started'];

/** Which ids an argument or input field named `name` (of `parent`) means. */
function idKinds(name: string, parent: string): IdKind[] {
  switch (name) {
    case 'courseId':
      return ['course'];
    case 'userId':
    case 'userIds':
      return ['user'];
    case 'assignmentId':
      if (parent === 'startTrainingAssignment') return ['startable', 'startable', 'assignment'];
      if (parent === 'CompleteTrainingAssignmentInput') return ['started', 'started', 'assignment'];
      return ACTIVE_ASSIGNMENT;
    case 'completionId':
      return ['completion'];
    case 'ids':
      return parent === 'markNotificationsRead' ? ['notification'] : ALL_KINDS;
    case 'entityId':
      return ['user', 'zone', 'equipment'];
    case 'zoneId':
      return ['zone'];
    case 'equipmentId':
      return ['equipment'];
    case 'id':
      if (parent === 'updateTrainingCourse') return ['course'];
      if (parent === 'ProfileInput') return ['user'];
      if (parent === 'ShiftAssignmentInput') return ['shift'];
      return ALL_KINDS;
    default:
      return ALL_KINDS;
  }
}

const idRef = (sources: fc.Arbitrary<IdSource>, kinds: IdKind[]) =>
  fc
    .tuple(sources, fc.constantFrom(...kinds), fc.nat(), fc.nat(5))
    .map(([source, kind, pick, upper]) => new IdRef(source, kind, pick, source !== 'malformed' && upper === 0));

/** This tenant's ids of the right kind (upper case now and then). */
const sensibleId = (kinds: IdKind[]) => idRef(fc.constantFrom<IdSource>('A', 'A-newest'), kinds);

/** Ids that must not work: another tenant's, the wrong kind, unknown, malformed. */
const edgeId = (kinds: IdKind[]) =>
  fc.oneof(
    { weight: 2, arbitrary: idRef(fc.constant<IdSource>('B'), kinds) },
    { weight: 1, arbitrary: idRef(fc.constantFrom<IdSource>('A', 'B'), ALL_KINDS) },
    { weight: 1, arbitrary: idRef(fc.constant<IdSource>('random'), kinds) },
    { weight: 3, arbitrary: idRef(fc.constant<IdSource>('malformed'), kinds) },
  );

/**
 * How a case's arguments are made:
 *   - sensible: every field sent, each a plausible value (calls succeed and move tenant A's data);
 *   - focused: sensible, except one position (a leaf, a list or an input object) that gets an edge value,
 *     a null or a value of another type: the shape that reaches the deepest checks;
 *   - typed: every value of its schema type, optional fields sent or not, plausible and edge values mixed;
 *   - hostile: anything — nulls for non-null, wrong types, missing and extra fields and arguments.
 */
type Mode = 'sensible' | 'focused' | 'typed' | 'hostile';

function sensibleString(name: string): fc.Arbitrary<string> {
  if (name === 'contentUrl')
    return fc.constantFrom('https://example.com/course', 'http://example.com/a?b=c#d', 'HTTPS://EXAMPLE.COM/Ü');
  if (name === 'email') return fc.constantFrom('worker@example.com', 'Zoë@example.com');
  return fc.string({ minLength: 1, maxLength: 24 }).map((text) => `Fuzz ${text}`);
}

const hoursFromNow = (min: number, max: number) =>
  fc.integer({ min, max }).map((hours) => new Date(Date.now() + hours * 3_600_000).toISOString());

/** A plausible value for a leaf (scalar or enum) type. */
function sensibleLeaf(type: GraphQLNullableType & GraphQLInputType, name: string, parent: string) {
  if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((value) => new EnumValue(value.name)));
  switch ((type as { name: string }).name) {
    case 'ID':
      return sensibleId(idKinds(name, parent));
    case 'String':
      // A certificate's code (revokeCertificate): this tenant's.
      if (name === 'code') return sensibleId(['certificate']);
      return sensibleString(name);
    case 'Int':
      if (name === 'expiryMonths') return fc.integer({ min: 1, max: 36 });
      return fc.integer({ min: 1, max: 600 });
    case 'Float':
      return fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100);
    case 'Boolean':
      return fc.boolean();
    case 'Date':
      return fc.integer({ min: 0, max: 400 }).map(dayFromToday);
    case 'DateTime':
      // Shifts end after they start; scores are not computed in the future.
      return name === 'endsAt' ? hoursFromNow(1, 24 * 90) : hoursFromNow(-24 * 90, 0);
    default:
      return wildString;
  }
}

/** A value of the right GraphQL type at or past the edge of what the API accepts. */
function edgeLeaf(type: GraphQLNullableType & GraphQLInputType, name: string, parent: string) {
  if (isEnumType(type))
    return fc.constantFrom('NOT_A_VALUE', 'worker', 'Worker', '__typename').map((n) => new EnumValue(n));
  switch ((type as { name: string }).name) {
    case 'ID':
      return edgeId(idKinds(name, parent));
    case 'String':
      // Another tenant's certificate code, or anything.
      if (name === 'code') return fc.oneof(idRef(fc.constant<IdSource>('B'), ['certificate']), wildString);
      return wildString;
    case 'Int':
      return wildInt;
    case 'Float':
      return wildNumber;
    case 'Boolean':
      return fc.boolean();
    case 'Date':
      return fc.oneof(wildDay, fc.integer({ min: -400, max: -1 }).map(dayFromToday));
    case 'DateTime':
      return fc.oneof(wildInstant, hoursFromNow(-24 * 365 * 100, 24 * 365 * 100));
    default:
      return fc.oneof(wildString, anyJson);
  }
}

const EXTRA_FIELDS = ['tenantId', 'tenant_id', 'createdBy', 'status', 'id', 'bogus', '__proto__', 'constructor'];

const withExtraField = (value: unknown, [key, extra]: [string, unknown]) => {
  const out = { ...(value as object) };
  Object.defineProperty(out, key, { value: extra, enumerable: true, writable: true });
  return out;
};

/** An argument or input field of `type`, made the way `mode` says (see Mode). */
function valueArb(type: GraphQLInputType, name: string, parent: string, mode: Mode): fc.Arbitrary<unknown> {
  const bare = bareArb(
    (isNonNullType(type) ? type.ofType : type) as GraphQLNullableType & GraphQLInputType,
    name,
    parent,
    mode,
  );
  if (mode === 'sensible' || mode === 'focused' || (mode === 'typed' && isNonNullType(type))) return bare;
  return fc.oneof(
    { weight: 8, arbitrary: bare },
    { weight: 1, arbitrary: fc.constant(null) },
    ...(mode === 'hostile' ? [{ weight: 1, arbitrary: anyJson }] : []),
  );
}

function bareArb(
  type: GraphQLNullableType & GraphQLInputType,
  name: string,
  parent: string,
  mode: Mode,
): fc.Arbitrary<unknown> {
  const sensible = mode === 'sensible' || mode === 'focused';
  if (isListType(type)) {
    const item = valueArb(type.ofType as GraphQLInputType, name, parent, mode);
    if (sensible) return fc.array(item, { minLength: 1, maxLength: 2 });
    return fc.oneof(
      { weight: 8, arbitrary: fc.array(item, { maxLength: 3 }) },
      // The same row twice in one batch.
      { weight: 1, arbitrary: item.map((value) => [value, value]) },
      // Past every batch limit (5,000 rows), each row small.
      {
        weight: 1,
        arbitrary: valueArb(type.ofType as GraphQLInputType, name, parent, 'sensible').map((value) =>
          Array.from({ length: 5001 }, () => value),
        ),
      },
      // One value where a list is expected (GraphQL coerces it to a list of one).
      ...(mode === 'hostile' ? [{ weight: 1, arbitrary: item }] : []),
    );
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    const arbs = Object.fromEntries(
      fields.map((field) => [field.name, valueArb(field.type, field.name, type.name, mode)]),
    );
    if (sensible) return fc.record(arbs);
    const record = fc.record(arbs, {
      requiredKeys: fields.filter((field) => isNonNullType(field.type)).map((field) => field.name),
    });
    if (mode === 'typed') return record;
    return fc
      .tuple(
        record,
        fc.subarray(
          fields.map((field) => field.name),
          { maxLength: Math.min(2, fields.length) },
        ),
        fc.option(fc.tuple(fc.constantFrom(...EXTRA_FIELDS), anyJson), { freq: 3 }),
      )
      .map(([value, missing, extra]) => {
        const out: Record<string, unknown> = extra ? withExtraField(value, extra) : { ...value };
        for (const field of missing) out[field] = OMITTED;
        return out;
      });
  }
  if (sensible || (mode === 'typed' && isEnumType(type))) return sensibleLeaf(type, name, parent);
  const edge = edgeLeaf(type, name, parent);
  const typed = fc.oneof({ weight: 3, arbitrary: sensibleLeaf(type, name, parent) }, { weight: 2, arbitrary: edge });
  if (mode === 'typed') return typed;
  // Hostile Ints: fractions, -0 and numbers past 32 bits too.
  return (type as { name: string }).name === 'Int' ? fc.oneof(typed, wildNumber) : typed;
}

/** A position in a mutation's arguments (`input.title`, `scores.0.computedAt`, `equipment.0.userIds`…). */
interface Position {
  path: (string | number)[];
  type: GraphQLInputType;
  name: string;
  parent: string;
}

function positionsOf(type: GraphQLInputType, name: string, parent: string, path: (string | number)[]): Position[] {
  const bare = isNonNullType(type) ? type.ofType : type;
  const here: Position = { path, type, name, parent };
  if (isListType(bare)) return [here, ...positionsOf(bare.ofType as GraphQLInputType, name, parent, [...path, 0])];
  if (isInputObjectType(bare)) {
    return [
      here,
      ...Object.values(bare.getFields()).flatMap((field) =>
        positionsOf(field.type, field.name, bare.name, [...path, field.name]),
      ),
    ];
  }
  return [here];
}

/** What goes at a focused position: an edge value of its type, mostly; now and then a null or another type. */
function wildArb({ type, name, parent }: Position): fc.Arbitrary<unknown> {
  const bare = (isNonNullType(type) ? type.ofType : type) as GraphQLNullableType & GraphQLInputType;
  let special: fc.Arbitrary<unknown>;
  if (isListType(bare)) {
    const item = valueArb(bare.ofType as GraphQLInputType, name, parent, 'sensible');
    special = fc.oneof(
      fc.constant([]),
      item.map((value) => [value, value]),
      item.map((value) => Array.from({ length: 5001 }, () => value)),
      item,
    );
  } else if (isInputObjectType(bare)) {
    special = fc.oneof(
      fc.constant({}),
      fc
        .tuple(bareArb(bare, name, parent, 'sensible'), fc.tuple(fc.constantFrom(...EXTRA_FIELDS), anyJson))
        .map(([value, extra]) => withExtraField(value, extra)),
    );
  } else {
    special = edgeLeaf(bare, name, parent);
  }
  return fc.oneof(
    { weight: 8, arbitrary: special },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: anyJson },
  );
}

/** `value` with `replacement` at `path` (copies along the way; the path exists in a sensible value). */
function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[head as number] = setAt(copy[head as number], rest, replacement);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  copy[head as string] = setAt(copy[head as string], rest, replacement);
  return copy;
}

interface Case {
  caller: CallerName;
  mode: Mode;
  /** The position a focused case puts its edge value at. */
  focus: string;
  /** Arguments as variables, as inline literals, or each its own way (`inlineMask` bit per argument). */
  transport: 'variables' | 'inline' | 'mixed';
  inlineMask: number;
  /** An argument the field does not have (validation must refuse it). */
  extraArgument: boolean;
  /** Variables no operation declares (ignored, must not matter). */
  junkVariables: boolean;
  args: Record<string, unknown>;
}

function argsArb(field: GraphQLField<unknown, unknown>, mode: Mode): fc.Arbitrary<{ args: object; focus: string }> {
  const arbs = Object.fromEntries(
    field.args.map((arg) => [
      arg.name,
      valueArb(arg.type, arg.name, field.name, mode === 'focused' ? 'sensible' : mode),
    ]),
  );
  const required = field.args.filter((arg) => isNonNullType(arg.type)).map((arg) => arg.name);
  if (mode === 'sensible') return fc.record(arbs).map((args) => ({ args, focus: '' }));
  if (mode === 'focused') {
    const positions = field.args.flatMap((arg) => positionsOf(arg.type, arg.name, field.name, [arg.name]));
    if (positions.length === 0) return fc.record(arbs).map((args) => ({ args, focus: '' }));
    return fc
      .tuple(
        fc.record(arbs),
        fc.constantFrom(...positions).chain((position) => wildArb(position).map((wild) => [position, wild] as const)),
      )
      .map(([args, [position, wild]]) => ({
        args: setAt(args, position.path, wild) as object,
        focus: position.path.join('.'),
      }));
  }
  const record = fc.record(arbs, { requiredKeys: required });
  if (mode === 'typed') return record.map((args) => ({ args, focus: '' }));
  // A required argument left out: declared as a variable but not sent, or missing from the literal.
  return fc.tuple(record, fc.subarray(field.args.map((arg) => arg.name))).map(([args, missing]) => ({
    args: { ...args, ...Object.fromEntries(missing.slice(0, 1).map((arg) => [arg, OMITTED])) },
    focus: '',
  }));
}

function caseArb(field: GraphQLField<unknown, unknown>): fc.Arbitrary<Case> {
  const rare = fc.nat(4).map((n) => n === 0);
  const mode = fc.oneof(
    { weight: 2, arbitrary: fc.constant<Mode>('sensible') },
    { weight: 5, arbitrary: fc.constant<Mode>('focused') },
    { weight: 2, arbitrary: fc.constant<Mode>('typed') },
    { weight: 2, arbitrary: fc.constant<Mode>('hostile') },
  );
  return mode.chain((m) =>
    fc
      .record({
        caller: fc.oneof(
          { weight: 16, arbitrary: fc.constantFrom<CallerName>(...ROLES) },
          { weight: 1, arbitrary: fc.constantFrom<CallerName>(...BAD_CALLERS) },
        ),
        transport: fc.constantFrom<Case['transport']>('variables', 'variables', 'variables', 'inline', 'mixed'),
        inlineMask: fc.nat(),
        extraArgument: m === 'hostile' ? rare : fc.constant(false),
        junkVariables: m === 'hostile' ? rare : fc.constant(false),
        generated: argsArb(field, m),
      })
      .map(({ generated, ...rest }): Case => ({
        ...rest,
        mode: m,
        ...generated,
        args: generated.args as Case['args'],
      })),
  );
}

/**
 * Inputs that once answered INTERNAL_SERVER_ERROR, tried first on every run
 * (for the mutations the schema still has).
 */
function regressions(name: string): Case[] {
  const base = { transport: 'variables', inlineMask: 0, extraArgument: false, junkVariables: false } as const;
  const focused = (caller: CallerName, focus: string, args: Case['args']): Case => ({
    ...base,
    caller,
    mode: 'focused',
    focus,
    args,
  });
  const a = (kind: IdKind) => new IdRef('A', kind, 0);
  const loneSurrogate = 'Fuzz \ud83d';
  switch (name) {
    case 'createTrainingCourse':
      // Prisma's query engine cannot carry a lone UTF-16 surrogate (JSON protocol).
      return [
        focused('admin', 'input.title', { input: { title: loneSurrogate, category: new EnumValue('OTHER') } }),
        focused('admin', 'input.description', {
          input: { title: 'Fuzz', description: '\ude56', category: new EnumValue('OTHER') },
        }),
      ];
    case 'updateTrainingCourse':
      return [focused('safety_officer', 'input.title', { id: a('course'), input: { title: loneSurrogate } })];
    case 'assignTrainingCourse':
      return [
        focused('admin', 'input.assignmentReason', {
          input: { courseId: a('course'), userId: a('user'), assignmentReason: loneSurrogate },
        }),
      ];
    case 'cancelTrainingAssignment':
      return [focused('admin', 'reason', { assignmentId: new IdRef('A-newest', 'assignment', 0), reason: '\udfff' })];
    case 'upsertProfiles':
      return [
        focused('service', 'profiles.0.displayName', {
          profiles: [{ id: a('user'), displayName: loneSurrogate, role: new EnumValue('WORKER') }],
        }),
        // More than 50 bad variable values: graphql-js gives up with an error Apollo did not label.
        focused('admin', 'profiles', { profiles: Array.from({ length: 5001 }, () => null) }),
      ];
    case 'setEquipmentOperators':
      return [
        focused('service', 'equipment.0.userIds', {
          equipment: [{ equipmentId: a('equipment'), userIds: Array.from({ length: 5001 }, () => null) }],
        }),
      ];
    case 'recordPredictiveScores':
      // Year 0 is a valid ISO 8601 date-time (and JS Date), but PostgreSQL has no year 0.
      return [
        focused('service', 'scores.0.computedAt', {
          scores: [
            { entityType: new EnumValue('WORKER'), entityId: a('user'), score: 50, computedAt: '0000-01-01T00:00:00Z' },
          ],
        }),
      ];
    case 'recordShiftAssignments':
      return [
        // Year 10000 once the offset is applied: PostgreSQL cannot read what JavaScript prints for it.
        focused('service', 'shifts.0.endsAt', {
          shifts: [
            {
              zoneId: a('zone'),
              userId: a('user'),
              startsAt: '2026-01-01T00:00:00Z',
              endsAt: '9999-12-31T23:59:59-12:00',
            },
          ],
        }),
        focused('admin', 'shifts.0.startsAt', {
          shifts: [
            {
              zoneId: a('zone'),
              userId: a('user'),
              startsAt: '0000-12-31T23:59:59.999Z',
              endsAt: '2026-01-01T00:00:00Z',
            },
          ],
        }),
      ];
    default:
      return [];
  }
}

// ---------------------------------------------------------------- requests and the oracle

function resolveIds(value: unknown): unknown {
  if (value instanceof IdRef) return value.resolve();
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

interface Verdict {
  refused: boolean;
  codes: string[];
  problems: string[];
}

interface ErrorShape {
  message?: unknown;
  path?: unknown;
  extensions?: Record<string, unknown>;
}

/** Everything wrong with one response, by the properties this file states. */
function examine(
  fieldName: string,
  caller: CallerName,
  status: number,
  contentType: string,
  text: string,
  sent: string[],
): Verdict {
  const problems: string[] = [];
  const badToken = caller !== 'anonymous' && (BAD_CALLERS as readonly string[]).includes(caller);
  // 401 (with WWW-Authenticate) is the answer to a request refused for want of a token; only the anonymous get it.
  const allowed = badToken ? [401] : caller === 'anonymous' ? [200, 400, 401] : [200, 400];
  if (!allowed.includes(status)) problems.push(`HTTP ${status}, expected ${allowed.join(' or ')}`);
  if (!/json/.test(contentType)) problems.push(`content-type ${contentType}`);
  let body: { data?: Record<string, unknown> | null; errors?: unknown } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    problems.push('body is not JSON');
  }
  if (!body || typeof body !== 'object') return { refused: true, codes: [], problems: [...problems, 'no body'] };
  if (/"stacktrace"|"exception"/.test(text)) problems.push('a stack trace or exception reached the client');
  const codes: string[] = [];
  const errors = body.errors;
  if (errors !== undefined) {
    if (!Array.isArray(errors) || errors.length === 0) problems.push('`errors` is not a non-empty array');
    for (const error of (Array.isArray(errors) ? errors : []) as ErrorShape[]) {
      const code = String(error.extensions?.code);
      codes.push(code);
      if (typeof error.message !== 'string' || error.message === '') problems.push('an error without a message');
      if (!CATALOGUE.has(code)) problems.push(`error code ${code}: ${String(error.message)}`);
      if (badToken && code !== 'UNAUTHENTICATED') problems.push(`bad token answered ${code}`);
      if (status === 401 && code !== 'UNAUTHENTICATED') problems.push(`HTTP 401 with ${code}`);
      // Input echoed back (graphql-js quotes the value it refused) is not a leak; anything else is.
      let message = String(error.message);
      for (const value of sent) {
        if (value.length > 0 && LEAK.test(value))
          message = message.split(JSON.stringify(value)).join('').split(value).join('');
      }
      if (LEAK.test(message)) problems.push(`internals in an error message: ${message.slice(0, 300)}`);
    }
  }
  // The mutation's own field is null when it was refused. A result may come with errors below it (a
  // worker's answer selecting another user's progress): those are about reading, not input; one under a
  // non-null field (an integration's answer selecting User.trainingProgress) nulls the whole result, yet
  // the mutation ran.
  const onlyBelow =
    Array.isArray(errors) &&
    (errors as ErrorShape[]).every((error) => Array.isArray(error.path) && error.path.length >= 2);
  const refused = status !== 200 || (body.data?.[fieldName] == null && !onlyBelow);
  if (refused) {
    if (errors === undefined) problems.push('neither errors nor a result');
    if (status === 400 && body.data !== undefined) problems.push('HTTP 400 with data');
  } else {
    for (const error of (Array.isArray(errors) ? errors : []) as ErrorShape[]) {
      if (!Array.isArray(error.path) || error.path.length < 2) problems.push('a result next to a top-level error');
    }
  }
  if (!refused && (badToken || caller === 'anonymous')) problems.push(`${caller} caller succeeded`);
  return { refused, codes, problems };
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
