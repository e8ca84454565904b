import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTrainingCourseDocument,
  StartTrainingAssignmentDocument,
  TrainingCoursesDocument,
} from '../../src/generated/operations/graphql.js';
import { runScheduledJob } from '../../src/core/jobs.js';
import { jobNamed, jobRunner } from '../support/jobs.js';
import { onCitus } from '../support/citus.js';
import { uuid } from '../support/sql.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { assignCourse, createCourse } from '../support/training.js';

/**
 * `Idempotency-Key` on mutations, over real HTTP: the same request again gets the first response with
 * `extensions.replayed: true` and writes nothing more; another request under a used key is refused; keys
 * are one user's of one tenant.
 */

let server: TestServer;
let admin: Actor;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.actor('admin');
});
afterAll(() => server?.stop());

interface Answer {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
    extensions?: Record<string, unknown>;
  };
}

async function post(actor: Actor, body: Record<string, unknown>, key?: string): Promise<Answer> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${actor.token}`,
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const createCourseBody = (title: string) => ({
  query: print(CreateTrainingCourseDocument),
  variables: { input: { title, category: 'SAFETY_FUNDAMENTALS' } },
});

const coursesTitled = (actor: Actor, title: string) =>
  server.owner.count('training_courses', 'tenant_id = $1::uuid AND title = $2', [actor.tenantId, title]);
const keysOf = (actor: Actor) => server.owner.count('idempotency_keys', 'tenant_id = $1::uuid', [actor.tenantId]);

describe('Idempotency-Key on a mutation', () => {
  it('answers the same request again with the first response, replayed, and writes nothing more', async () => {
    const key = uuid();
    const first = await post(admin, createCourseBody('Confined spaces'), key);
    const again = await post(admin, createCourseBody('Confined spaces'), key);

    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.extensions?.replayed).toBeUndefined();
    expect(again).toEqual({ status: 200, body: { ...first.body, extensions: { replayed: true } } });
    expect(await coursesTitled(admin, 'Confined spaces')).toBe(1);
  });

  it('variables in another key order are the same request', async () => {
    const key = uuid();
    const input = { title: 'Ladders', category: 'SAFETY_FUNDAMENTALS', durationMinutes: 20 };
    const reordered = { durationMinutes: 20, category: 'SAFETY_FUNDAMENTALS', title: 'Ladders' };
    await post(admin, { query: print(CreateTrainingCourseDocument), variables: { input } }, key);
    const again = await post(
      admin,
      { variables: { input: reordered }, query: print(CreateTrainingCourseDocument) },
      key,
    );
    expect(again.body.extensions).toEqual({ replayed: true });
    expect(await coursesTitled(admin, 'Ladders')).toBe(1);
  });

  it('refuses another request under a used key with IDEMPOTENCY_KEY_REUSED (422), writing nothing', async () => {
    const key = uuid();
    await post(admin, createCourseBody('Hot work'), key);
    const other = await post(admin, createCourseBody('Hot work permits'), key);
    expect(other.status).toBe(422);
    expect(other.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'IDEMPOTENCY_KEY_REUSED' } })]);
    expect(await coursesTitled(admin, 'Hot work permits')).toBe(0);
  });

  it('concurrent duplicates run once: one writes, the others replay its response', async () => {
    const key = uuid();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => post(admin, createCourseBody('Lockout tagout'), key)),
    );
    expect(await coursesTitled(admin, 'Lockout tagout')).toBe(1);
    expect(answers.filter((answer) => answer.body.extensions?.replayed === true)).toHaveLength(5);
    const ids = new Set(answers.map((answer) => JSON.stringify(answer.body.data)));
    expect(ids.size).toBe(1);
  });

  it('keeps and replays a refusal too (bad input writes nothing, then or on the retry)', async () => {
    const key = uuid();
    const body = createCourseBody('   ');
    const first = await post(admin, body, key);
    const again = await post(admin, body, key);
    expect(first.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(again.body).toEqual({ ...first.body, extensions: { replayed: true } });
  });

  it('keeps what each field of the operation did, as without a key: a failed field writes nothing', async () => {
    const key = uuid();
    const body = {
      query: `mutation Two($ok: CreateTrainingCourseInput!, $bad: CreateTrainingCourseInput!) {
        kept: createTrainingCourse(input: $ok) { id }
        refused: createTrainingCourse(input: $bad) { id }
      }`,
      variables: {
        ok: { title: 'Rigging', category: 'SAFETY_FUNDAMENTALS' },
        bad: { title: 'Rigging II', category: 'SAFETY_FUNDAMENTALS', durationMinutes: -5 },
      },
    };
    const first = await post(admin, body, key);
    const again = await post(admin, body, key);
    // The refused field is non-null, so the response's data is null; the first field's course still stands.
    expect(first.body.data).toBeNull();
    expect(first.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(again.body).toEqual({ ...first.body, extensions: { replayed: true } });
    expect(await coursesTitled(admin, 'Rigging')).toBe(1);
    expect(await coursesTitled(admin, 'Rigging II')).toBe(0);
  });

  it('replays a start instead of refusing the second one as a conflict', async () => {
    const worker = await server.actor('worker', { tenantId: admin.tenantId });
    await worker.request('{ me { id } }');
    const assignmentId = await assignCourse(
      admin,
      await createCourse(admin, { title: 'Fall arrest', category: 'SAFETY_FUNDAMENTALS' }),
      worker.userId,
    );
    const body = { query: print(StartTrainingAssignmentDocument), variables: { assignmentId } };
    const key = uuid();
    const first = await post(worker, body, key);
    const again = await post(worker, body, key);
    const unkeyed = await post(worker, body);
    expect(first.body.errors).toBeUndefined();
    expect(again.body).toEqual({ ...first.body, extensions: { replayed: true } });
    expect(unkeyed.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  // Its stand-in for a concurrent writer is a trigger counting on a sequence of the coordinator's, which the shards,
  // where Citus runs the trigger, do not have.
  it.skipIf(onCitus)(
    'runs nothing when the context fails (the profile write lost a conflict): the retry runs under the key',
    async () => {
      const worker = await server.actor('worker', { tenantId: admin.tenantId });
      await worker.request('{ me { id } }');
      const assignmentId = await assignCourse(
        admin,
        await createCourse(admin, { title: 'Lockout', category: 'SAFETY_FUNDAMENTALS' }),
        worker.userId,
      );
      // A new name in the token makes the request record the profile again; its first write loses a conflict,
      // as against a concurrent writer (a sequence: what counts the attempts must outlive their rollback).
      const renamed = await server.actor('worker', {
        tenantId: admin.tenantId,
        userId: worker.userId,
        name: 'Renamed',
      });
      const script = (sql: string) => server.db.withConnection((connection) => connection.exec(sql));
      await script(`
      CREATE SEQUENCE profile_write_attempts;
      CREATE FUNCTION lose_first_profile_write() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      BEGIN
        IF NEW.id = '${worker.userId}'::uuid AND nextval('profile_write_attempts') = 1 THEN
          RAISE EXCEPTION 'concurrent profile write' USING ERRCODE = '40001';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER lose_first_profile_write BEFORE INSERT ON profiles
        FOR EACH ROW EXECUTE FUNCTION lose_first_profile_write();`);
      try {
        const body = { query: print(StartTrainingAssignmentDocument), variables: { assignmentId } };
        const key = uuid();
        const started = () =>
          server.owner.count('training_assignments', 'id = $1::uuid AND started_at IS NOT NULL', [assignmentId]);
        const refused = await post(renamed, body, key);
        expect(refused.body.errors?.[0]?.extensions?.code).toBe('TRANSACTION_CONFLICT');
        expect(await started()).toBe(0);
        const first = await post(renamed, body, key);
        const again = await post(renamed, body, key);
        expect(first.body.errors).toBeUndefined();
        expect(await started()).toBe(1);
        expect(again.body).toEqual({ ...first.body, extensions: { replayed: true } });
      } finally {
        await script(`
        DROP TRIGGER lose_first_profile_write ON profiles;
        DROP FUNCTION lose_first_profile_write();
        DROP SEQUENCE profile_write_attempts;`);
      }
    },
  );

  it('a key is one user’s of one tenant: the same key elsewhere runs as a new request', async () => {
    const key = uuid();
    const colleague = await server.actor('admin', { tenantId: admin.tenantId });
    const stranger = await server.actor('admin');
    await post(admin, createCourseBody('Scaffolds'), key);
    const byColleague = await post(colleague, createCourseBody('Scaffolds'), key);
    const byStranger = await post(stranger, createCourseBody('Scaffolds'), key);
    expect(byColleague.body.extensions).toBeUndefined();
    expect(byStranger.body.extensions).toBeUndefined();
    expect(await coursesTitled(admin, 'Scaffolds')).toBe(2);
    expect(await coursesTitled(stranger, 'Scaffolds')).toBe(1);
  });

  it('a key older than 7 days answers no more: the request runs again', async () => {
    const key = uuid();
    await post(admin, createCourseBody('Forklift refresher'), key);
    await server.owner.query(
      `UPDATE idempotency_keys SET created_at = now() - interval '8 days' WHERE tenant_id = $1::uuid AND key = $2`,
      [admin.tenantId, key],
    );
    const later = await post(admin, createCourseBody('Forklift refresher'), key);
    expect(later.body.extensions).toBeUndefined();
    expect(await coursesTitled(admin, 'Forklift refresher')).toBe(2);
  });

  it('the daily sweep removes the tenant’s keys older than 7 days, and only those', async () => {
    const expired = uuid();
    const fresh = uuid();
    await post(admin, createCourseBody('Noise at work'), expired);
    await post(admin, createCourseBody('Vibration at work'), fresh);
    await server.owner.query(
      `UPDATE idempotency_keys SET created_at = now() - interval '8 days' WHERE tenant_id = $1::uuid AND key = $2`,
      [admin.tenantId, expired],
    );
    await runScheduledJob(jobRunner(server.app.db.prisma), jobNamed('idempotency_key_sweep'), new Date());
    const left = await server.owner.query<{ key: string }>(
      'SELECT key FROM idempotency_keys WHERE tenant_id = $1::uuid AND key = ANY($2::text[])',
      [admin.tenantId, [expired, fresh]],
    );
    expect(left).toEqual([{ key: fresh }]);
  });

  it('refuses a key that cannot be one with BAD_REQUEST (400), running nothing', async () => {
    for (const key of ['has space', 'x'.repeat(256), 'é']) {
      const answer = await post(admin, createCourseBody('Never written'), key);
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/^Idempotency-Key: /),
        extensions: { code: 'BAD_REQUEST' },
      });
    }
    const byHash = await post(
      admin,
      { extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } }, variables: {} },
      uuid(),
    );
    expect(byHash.status).toBe(400);
    expect(await coursesTitled(admin, 'Never written')).toBe(0);
  });

  it('ignores a key on a query and on an anonymous request (nothing kept)', async () => {
    const before = await keysOf(admin);
    const query = await post(admin, { query: print(TrainingCoursesDocument), variables: {} }, uuid());
    expect(query.body.errors).toBeUndefined();
    const anonymous = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': uuid() },
      body: JSON.stringify(createCourseBody('Anonymous')),
    });
    expect(((await anonymous.json()) as Answer['body']).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await keysOf(admin)).toBe(before);
  });
});
