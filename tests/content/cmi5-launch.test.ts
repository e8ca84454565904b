import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upload } from '../support/content.js';
import { dayFromToday, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { cmi5Xml } from '../support/zip.js';
import { setupTimeout } from '../support/citus.js';

/**
 * An AU played over real HTTP, as cmi5 says: the worker launches it, the AU fetches its token once, reads
 * LMS.LaunchData, sends initialized, passed and terminated to the LRS, and the assignment of a course requiring its
 * content completes from that evidence, with the scaled score and a certificate.
 */

let server: TestServer;
let folder: string;
let admin: Actor;
let worker: Actor;

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'launch-'));
  server = await startTestServer({ CONTENT_DIR: folder });
  admin = await server.actor('admin');
  worker = await server.actor('worker', { tenantId: admin.tenantId, name: 'Wei Chen' });
  await ok(worker.request('{ me { id } }'));
}, setupTimeout(60_000));
afterAll(async () => {
  await server?.stop();
  await rm(folder, { recursive: true, force: true });
});

const data = <T>(response: Promise<unknown>) => ok(response as never) as Promise<T>;

describe('launchModule and an AU over HTTP', () => {
  it('completes the assignment from the AU passing, as its moveOn says', async () => {
    const { createTrainingCourse: course } = await data<{ createTrainingCourse: { id: string } }>(
      admin.request(`mutation { createTrainingCourse(input: { title: "Forklift", category: EQUIPMENT_SAFETY,
        issuesCertificate: true, requirements: { quiz: false, content: true, practicalEvaluation: false } }) { id } }`),
    );
    const xml = cmi5Xml(1, () => 'https://au.example.com/lesson?lang=en');
    const contentId = (await upload(server, admin, xml, 'cmi5.xml')).body.id!;
    const imported = await data<{ importCmi5Package: { modules: { id: string }[] } }>(
      admin.request(
        `mutation($c: ID!, $f: ID!) { importCmi5Package(courseId: $c, contentId: $f) { modules { id } } }`,
        {
          c: course.id,
          f: contentId,
        },
      ),
    );
    const moduleId = imported.importCmi5Package.modules[0]!.id;
    const { assignTrainingCourse: assignment } = await data<{ assignTrainingCourse: { id: string } }>(
      admin.request(
        `mutation($c: ID!, $u: ID!, $d: Date!) { assignTrainingCourse(input: { courseId: $c, userId: $u, dueDate: $d, assignmentReason: "AU" }) { id } }`,
        { c: course.id, u: worker.userId, d: dayFromToday(7) },
      ),
    );
    const LAUNCH = `mutation($a: ID!, $m: ID!) { launchModule(assignmentId: $a, moduleId: $m) { url } }`;
    const early = await worker.request(LAUNCH, { a: assignment.id, m: moduleId });
    expect(early.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect((await admin.request(LAUNCH, { a: assignment.id, m: moduleId })).errors?.[0]?.extensions?.code).toBe(
      'NOT_FOUND',
    );
    await ok(
      worker.request(`mutation($a: ID!) { startTrainingAssignment(assignmentId: $a) { id } }`, { a: assignment.id }),
    );
    const { launchModule } = await data<{ launchModule: { url: string } }>(
      worker.request(LAUNCH, { a: assignment.id, m: moduleId }),
    );

    // The AU's side, from its launch URL alone (cmi5 §8.1).
    const launch = new URL(launchModule.url);
    expect(`${launch.origin}${launch.pathname}`).toBe('https://au.example.com/lesson');
    const q = Object.fromEntries(launch.searchParams);
    expect(q).toMatchObject({
      lang: 'en',
      registration: assignment.id,
      activityId: 'https://example.com/course/forklift/au/0',
    });
    const actor = JSON.parse(q.actor!) as { account: { name: string } };
    expect(actor.account.name).toBe(worker.userId);
    const fetched = (await (await fetch(q.fetch!, { method: 'POST' })).json()) as { 'auth-token': string };
    expect(fetched['auth-token']).toEqual(expect.any(String));
    const again = (await (await fetch(q.fetch!, { method: 'POST' })).json()) as { 'error-code': string };
    expect(again['error-code']).toBe('1');
    const lrs = (resource: string, init: RequestInit = {}) =>
      fetch(new URL(resource, q.endpoint), {
        ...init,
        headers: {
          authorization: `Basic ${fetched['auth-token']}`,
          'x-experience-api-version': '1.0.3',
          'content-type': 'application/json',
        },
      });
    const state = new URLSearchParams({
      activityId: q.activityId!,
      agent: q.actor!,
      registration: q.registration!,
      stateId: 'LMS.LaunchData',
    });
    const launchData = (await (await lrs(`activities/state?${state}`)).json()) as {
      contextTemplate: Record<string, unknown>;
      launchMode: string;
      moveOn: string;
      masteryScore: number;
    };
    expect(launchData).toMatchObject({ launchMode: 'Normal', moveOn: 'Passed', masteryScore: 0.8 });
    const statement = (verb: string, result?: Record<string, unknown>) => ({
      actor,
      verb: { id: `http://adlnet.gov/expapi/verbs/${verb}` },
      object: { id: q.activityId, objectType: 'Activity' },
      context: { ...launchData.contextTemplate, registration: q.registration },
      ...(result ? { result } : {}),
      timestamp: new Date().toISOString(),
    });
    for (const sent of [
      statement('initialized'),
      statement('passed', { score: { scaled: 0.9 }, success: true, duration: 'PT5M' }),
      statement('terminated', { duration: 'PT6M' }),
    ]) {
      const answer = await lrs('statements', { method: 'POST', body: JSON.stringify(sent) });
      expect(answer.status, await answer.clone().text()).toBe(200);
    }

    const done = await data<{
      myTrainingAssignments: {
        nodes: {
          id: string;
          status: string;
          completion: { source: string; score: number; certificate: { code: string } };
        }[];
      };
    }>(
      worker.request(
        '{ myTrainingAssignments { nodes { id status completion { source score certificate { code } } } } }',
      ),
    );
    expect(done.myTrainingAssignments.nodes.find((a) => a.id === assignment.id)).toMatchObject({
      status: 'COMPLETED',
      completion: { source: 'CONTENT', score: 90, certificate: { code: expect.any(String) } },
    });
    const [progress] = await server.owner.query<{ satisfied: boolean; seconds: number; open: boolean }>(
      `SELECT satisfied_at IS NOT NULL AS satisfied, seconds_spent AS seconds, session_open AS open
       FROM module_progress WHERE assignment_id = $1`,
      [assignment.id],
    );
    expect(progress).toEqual({ satisfied: true, seconds: 660, open: false });
    // The LMS recorded launched and, the course's content done, satisfied.
    const verbs = await server.owner.query<{ verb_id: string }>(
      `SELECT verb_id FROM xapi_statements WHERE registration = $1 ORDER BY stored, verb_id`,
      [assignment.id],
    );
    expect(verbs.map((v) => v.verb_id.split('/').pop())).toEqual(
      expect.arrayContaining(['launched', 'initialized', 'passed', 'terminated', 'satisfied']),
    );
  });
});
