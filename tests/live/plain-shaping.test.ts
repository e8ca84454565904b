import fc from 'fast-check';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingAssignmentCreatedDocument } from '../../src/generated/operations/graphql.js';
import { announceAssignments } from '../support/announce.js';
import { owner, uuid } from '../support/sql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import type { App } from '../../src/app.js';
import { liveClient, startInstance, subscribe, subscribersReach, type LiveClient } from '../support/ws.js';

/**
 * A shared live selection of plain fields is written by PostgreSQL (core/plain-pages, `plainObjectsSql`)
 * instead of graphql-js. The same events, delivered by two instances, one with it on and one with it off
 * (PLAIN_PAGES), reach the sockets as the same graphql-ws messages, byte for byte (but for the operation id
 * each client chose): the web app's whole `AssignmentFields`, random sub-selections with aliases and
 * fragments, rows without completion, assigner or trigger, people with and without a profile, numbers
 * PostgreSQL writes with an exponent; followed by an officer (the tenant) and a worker (their own), beside a
 * selection graphql-js keeps (a list) and another tenant's subscriber. The statement log shows which path
 * wrote them.
 */

let server: TestServer;
/** The same API with PLAIN_PAGES off: graphql-js shapes every event. */
let viaGraphqlJs: App;
let sql: ReturnType<typeof owner>;
const statements: string[] = [];
/** In the statement that writes a plain selection's responses, and in no other. */
const PLAIN_READ = ' AS data FROM training_assignments p WHERE';

beforeAll(async () => {
  server = await startTestServer({}, { onQuery: (text) => statements.push(text) });
  viaGraphqlJs = await startInstance(server.db);
  viaGraphqlJs.services.config = { ...viaGraphqlJs.services.config, plainPages: false };
  sql = owner(server.db);
});
afterAll(async () => {
  await viaGraphqlJs.stop();
  await server.stop();
});

const alias = (field: string) =>
  fc.tuple(fc.boolean(), fc.nat(99)).map(([aliased, n]) => (aliased ? `x${n}: ${field}` : field));
/** Some of `fields` (each maybe aliased; keys made unique by their place), maybe inside an inline fragment. */
const some = (type: string, fields: fc.Arbitrary<string>[]) =>
  fc.tuple(fc.subarray(fields, { minLength: 1 }), fc.constantFrom('', 'inline', 'bare')).chain(([chosen, wrap]) =>
    fc.tuple(...chosen).map((picked) => {
      const text = picked.map((field, i) => field.replace(/^x\d+:/, `x${i}:`)).join(' ');
      if (wrap === 'inline') return `... on ${type} { ${text} }`;
      return wrap === 'bare' ? `... { ${text} }` : text;
    }),
  );
const leaves = (names: string[]) => names.map(alias);
const person = some('User', leaves(['id', 'displayName', 'email', '__typename']));
const selectionArb = some('Assignment', [
  ...leaves(['id', 'status', 'assignmentType', 'assignmentReason', 'dueDate', 'assignedAt', 'startedAt']),
  ...leaves(['completedAt', 'cancelledAt', 'cancelReason', 'createdAt', 'updatedAt', '__typename']),
  person.chain((inner) => alias(`user { ${inner} }`)),
  person.chain((inner) => alias(`assignedBy { ${inner} }`)),
  person.chain((inner) => alias(`cancelledBy { ${inner} }`)),
  some('Course', leaves(['id', 'title', 'category', 'riskThreshold', 'required'])).chain((inner) =>
    alias(`course { ${inner} }`),
  ),
  some('Completion', leaves(['id', 'score', 'passed', 'completedAt', 'expiresAt', 'expired', 'source'])).chain(
    (inner) => alias(`completion { ${inner} }`),
  ),
  some('AssignmentTrigger', [
    ...leaves(['scoreId', 'entityType', 'entityId', 'score', 'threshold']),
    person.chain((inner) => alias(`person { ${inner} }`)),
  ]).chain((inner) => alias(`trigger { ${inner} }`)),
]);

const FULL = print(TrainingAssignmentCreatedDocument);
/** Shared (the same to every viewer) but not plain: a list. */
const LISTED = 'subscription { trainingAssignmentCreated { id completions { id score } } }';

async function courseOf(tenantId: string, createdBy: string, title: string): Promise<string> {
  const [row] = await sql.query<{ id: string }>(
    `INSERT INTO training_courses (tenant_id, title, category, risk_threshold, created_by)
     VALUES ($1, $2, 'compliance', 62.50, $3) RETURNING id::text`,
    [tenantId, title, createdBy],
  );
  return row!.id;
}

/** Every `next` message a socket receives, as its text without the operation id, by that id. */
function recorded(client: LiveClient): Map<string, string[]> {
  const byOperation = new Map<string, string[]>();
  client.socket().on('message', (data: Buffer) => {
    const text = String(data);
    const { id, type } = JSON.parse(text) as { id: string; type: string };
    if (type !== 'next') return;
    const prefix = `{"id":${JSON.stringify(id)},`;
    expect(text.startsWith(prefix)).toBe(true);
    byOperation.set(id, [...(byOperation.get(id) ?? []), text.slice(prefix.length)]);
  });
  return byOperation;
}

/** A socket's messages, each subscription's sorted, the subscriptions in a canonical order. */
const canonical = (byOperation: Map<string, string[]>) =>
  [...byOperation.values()].map((messages) => [...messages].sort().join('\n')).sort();

describe('live payloads written by PostgreSQL', () => {
  it('are byte for byte the graphql-ws messages graphql-js gives, for one tenant and nothing of another', async () => {
    const tenantId = uuid();
    const admin = await server.actor('admin', { tenantId });
    const officer = await server.actor('safety_officer', { tenantId });
    const [worker, colleague] = [
      await server.actor('worker', { tenantId }),
      await server.actor('worker', { tenantId }),
    ];
    const stranger = await server.actor('worker');
    // Names with what JSON escapes; the admin has no profile (null names, the id all the same).
    await sql.query(
      `INSERT INTO profiles (id, tenant_id, role, display_name, email) VALUES
         ($1, $4, 'safety_officer', 'Zoë "Z" O''Neil', 'zoe@example.com'),
         ($2, $4, 'worker', E'Line\\nbreak \\\\ tab\\t', NULL),
         ($3, $4, 'worker', 'Ünïcödé ✓ 😀', 'u@example.com'),
         ($5, $6, 'worker', 'Other tenant', 'other@example.com')`,
      [officer.userId, worker.userId, colleague.userId, tenantId, stranger.userId, stranger.tenantId],
    );
    const courses = await Promise.all(['A1', 'A2', 'A3', 'A4'].map((title) => courseOf(tenantId, admin.userId, title)));
    const strangerCourse = await courseOf(stranger.tenantId, stranger.userId, 'Only in B');
    const rows = await sql.query<{ id: string; tenant_id: string; user_id: string }>(
      `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type, assignment_reason, status,
         due_date, assigned_by, cancelled_by, cancelled_at, cancel_reason, trigger_score_id, trigger_entity_type,
         trigger_entity_id, trigger_score, trigger_threshold)
       VALUES
         ($1, $2, $6, 'manual', E'Said "now"\\n', 'assigned', current_date - 3, $8, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
         ($1, $3, $6, 'risk_based', NULL, 'cancelled', NULL, NULL, $9, now(), 'Moved', NULL, 'worker', $7, 87.250, NULL),
         ($1, $4, $7, 'risk_based', NULL, 'assigned', current_date + 9, NULL, NULL, NULL, NULL, NULL, 'zone', $10,
          123456789012345678901, 70.00),
         ($1, $5, $7, 'auto', NULL, 'in_progress', NULL, $9, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
       RETURNING id::text, tenant_id::text, user_id::text`,
      [tenantId, ...courses, worker.userId, colleague.userId, officer.userId, admin.userId, uuid()],
    );
    // Two attempts at the first (the latest, with a score PostgreSQL writes as 1e-05), one at the fourth.
    await sql.query(
      `INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, passed, completed_at,
         expires_at, completion_time_minutes)
       VALUES ($1, $2, $3, $4, 33.333333333333, false, now() - interval '2 days', NULL, 12),
              ($1, $2, $3, $4, 0.00001, false, now() - interval '1 day', current_date - 1, NULL),
              ($1, $5, $6, $7, 100.00, true, now(), current_date + 365, 40)`,
      [tenantId, rows[0]!.id, courses[0], worker.userId, rows[3]!.id, courses[3], colleague.userId],
    );
    const [strangerRow] = await sql.query<{ id: string; tenant_id: string; user_id: string }>(
      `INSERT INTO training_assignments (tenant_id, course_id, user_id) VALUES ($1, $2, $3)
       RETURNING id::text, tenant_id::text, user_id::text`,
      [stranger.tenantId, strangerCourse, stranger.userId],
    );

    const selections = [
      FULL,
      ...fc
        .sample(selectionArb, { numRuns: 6, seed: 20261220 })
        .map((selection, n) => `subscription S${n} { trainingAssignmentCreated { ${selection} } }`),
      LISTED,
    ];
    const actors = [officer, worker, stranger];
    const follow = (app: App) =>
      actors.map((actor) => {
        const client = liveClient(app.url, actor.token);
        return { client, feeds: selections.map((query) => subscribe(client, query, {})) };
      });
    const followers = { postgres: follow(server.app), graphqlJs: follow(viaGraphqlJs) };
    const all = [...followers.postgres, ...followers.graphqlJs];
    try {
      await subscribersReach(server.app, actors.length * selections.length);
      await subscribersReach(viaGraphqlJs, actors.length * selections.length);
      const postgresSockets = followers.postgres.map(({ client }) => recorded(client));
      const graphqlJsSockets = followers.graphqlJs.map(({ client }) => recorded(client));
      const ownOf = (userId: string) => rows.filter((row) => row.user_id === userId).length;
      const expected = [rows.length, ownOf(worker.userId), 1];

      statements.length = 0;
      await announceAssignments(sql.query, [...rows, strangerRow!]);
      await Promise.all(
        [followers.postgres, followers.graphqlJs].flatMap((instance) =>
          instance.flatMap(({ feeds }, i) => feeds.map((feed) => feed.until((f) => f.results.length >= expected[i]!))),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 200)); // late duplicates would arrive by now

      // One per plain selection of each tenant's batch, on the instance with it on; the list read for graphql-js.
      expect(statements.filter((text) => text.includes(PLAIN_READ)).length).toBeGreaterThanOrEqual(2);
      expect(statements.some((text) => text.includes('json_build_object'))).toBe(true);
      actors.forEach((_, i) => {
        const viaPostgres = canonical(postgresSockets[i]!);
        expect(viaPostgres).toHaveLength(selections.length);
        expect(viaPostgres.join('\n').split('\n')).toHaveLength(expected[i]! * selections.length);
        expect(viaPostgres).toEqual(canonical(graphqlJsSockets[i]!));
      });
      const [officerText, workerText, strangerText] = postgresSockets.map((socket) => canonical(socket).join('\n'));
      // Numbers PostgreSQL writes with an exponent, and null relations, are in what was compared.
      expect(officerText).toContain('"score":0.00001');
      expect(officerText).toContain('"score":123456789012345680000');
      expect(officerText).toContain('"completion":null');
      expect(officerText).toContain('"assignedBy":null');
      expect(officerText).toContain('"trigger":null');
      expect(officerText).toContain('"person":null');
      for (const text of [officerText!, workerText!]) {
        expect(text).not.toContain(strangerRow!.id);
        expect(text).not.toContain('Only in B');
        expect(text).not.toContain('Other tenant');
      }
      for (const row of rows) expect(strangerText).not.toContain(row.id);
      expect(strangerText).not.toContain('Zoë');
    } finally {
      await Promise.all(all.map(({ client }) => client.dispose()));
      await subscribersReach(server.app, 0);
      await subscribersReach(viaGraphqlJs, 0);
    }
  }, 60_000);
});
