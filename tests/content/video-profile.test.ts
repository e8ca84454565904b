import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayFromToday, errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { setupTimeout } from '../support/citus.js';

/**
 * A video and a document reported through the LRS with the xAPI video profile, from a token of launchModule: a
 * `completed` whose played segments skip most of the video does not satisfy it, one that covers 95 % of it does;
 * an officer waives the document (the LMS writes cmi5's `waived`), which completes the course's content.
 */

let server: TestServer;
let officer: Actor;
let worker: Actor;

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer');
  worker = await server.actor('worker', { tenantId: officer.tenantId, name: 'Ana Video' });
  await ok(worker.request('{ me { id } }'));
}, setupTimeout(60_000));
afterAll(() => server?.stop());

const data = <T>(response: Promise<unknown>) => ok(response as never) as Promise<T>;
const VIDEO = 'https://w3id.org/xapi/video';
const PROGRESS = `query($a: ID!) { myTrainingAssignments(first: 20) { nodes { id status completion { source } } }
  moduleProgress(assignmentId: $a) { module { id kind } satisfiedAt waived secondsSpent positionSeconds } }`;

interface Progress {
  module: { id: string; kind: string };
  satisfiedAt: string | null;
  waived: boolean;
  secondsSpent: number;
  positionSeconds: number | null;
}
type Mine = { id: string; status: string; completion: { source: string } | null };

async function mine(assignmentId: string): Promise<Mine & { moduleProgress: Progress[] }> {
  const answer = await data<{ myTrainingAssignments: { nodes: Mine[] }; moduleProgress: Progress[] }>(
    worker.request(PROGRESS, { a: assignmentId }),
  );
  const assignment = answer.myTrainingAssignments.nodes.find((a) => a.id === assignmentId)!;
  return { ...assignment, moduleProgress: answer.moduleProgress };
}

async function course(): Promise<{ courseId: string; video: string; document: string; assignmentId: string }> {
  const { createTrainingCourse } = await data<{ createTrainingCourse: { id: string } }>(
    officer.request(`mutation { createTrainingCourse(input: { title: "Ladders", category: EQUIPMENT_SAFETY,
      requirements: { quiz: false, content: true, practicalEvaluation: false } }) { id } }`),
  );
  const add = (input: Record<string, unknown>) =>
    data<{ addCourseModule: { id: string } }>(
      officer.request('mutation($c: ID!, $i: CourseModuleInput!) { addCourseModule(courseId: $c, input: $i) { id } }', {
        c: createTrainingCourse.id,
        i: input,
      }),
    );
  const video = await add({
    title: 'Ladder video',
    kind: 'VIDEO',
    url: 'https://cdn.example.com/l.webm',
    durationSeconds: 10,
  });
  const document = await add({ title: 'Ladder sheet', kind: 'DOCUMENT', url: 'https://cdn.example.com/l.pdf' });
  const { assignTrainingCourse } = await data<{ assignTrainingCourse: { id: string } }>(
    officer.request(
      'mutation($c: ID!, $u: ID!, $d: Date!) { assignTrainingCourse(input: { courseId: $c, userId: $u, dueDate: $d }) { id } }',
      { c: createTrainingCourse.id, u: worker.userId, d: dayFromToday(7) },
    ),
  );
  await ok(
    worker.request('mutation($a: ID!) { startTrainingAssignment(assignmentId: $a) { id } }', {
      a: assignTrainingCourse.id,
    }),
  );
  return {
    courseId: createTrainingCourse.id,
    video: video.addCourseModule.id,
    document: document.addCourseModule.id,
    assignmentId: assignTrainingCourse.id,
  };
}

/** What the web app's player does: launch, fetch the token once, then a statement sender for that launch. */
async function player(assignmentId: string, moduleId: string) {
  const { launchModule } = await data<{ launchModule: { url: string } }>(
    worker.request('mutation($a: ID!, $m: ID!) { launchModule(assignmentId: $a, moduleId: $m) { url } }', {
      a: assignmentId,
      m: moduleId,
    }),
  );
  const q = Object.fromEntries(new URL(launchModule.url).searchParams);
  const { 'auth-token': token } = (await (await fetch(q.fetch!, { method: 'POST' })).json()) as Record<string, string>;
  const actor = JSON.parse(q.actor!) as Record<string, unknown>;
  return async (verb: string, extensions: Record<string, unknown>, duration?: string) => {
    const statement = {
      actor,
      verb: { id: verb.startsWith('http') ? verb : `${VIDEO}/verbs/${verb}` },
      object: { id: q.activityId, objectType: 'Activity' },
      context: { registration: q.registration, extensions: { [`${VIDEO}/extensions/length`]: 10 } },
      result: { extensions, ...(duration ? { duration } : {}) },
    };
    const response = await fetch(new URL('statements', q.endpoint), {
      method: 'POST',
      headers: {
        authorization: `Basic ${token}`,
        'x-experience-api-version': '2.0.0',
        'content-type': 'application/json',
      },
      body: JSON.stringify(statement),
    });
    expect(response.status, await response.clone().text()).toBe(200);
  };
}

const ext = (name: string) => `${VIDEO}/extensions/${name}`;
const COMPLETED = 'http://adlnet.gov/expapi/verbs/completed';

describe('the video profile through /xapi', () => {
  it('a completed video satisfies its module only when the played segments cover it; a waived document completes the course', async () => {
    const { video, document, assignmentId } = await course();
    const send = await player(assignmentId, video);
    await send('http://adlnet.gov/expapi/verbs/initialized', { [ext('length')]: 10 });
    await send('played', { [ext('time')]: 0 });
    await send('seeked', { [ext('time-from')]: 2, [ext('time-to')]: 9 }, 'PT2S');
    // Seeking to the end and saying "completed" is not watching it.
    await send(
      COMPLETED,
      { [ext('time')]: 10, [ext('progress')]: 0.3, [ext('played-segments')]: '0[.]2[,]9[.]10' },
      'PT1S',
    );
    let progress = (await mine(assignmentId)).moduleProgress.find((p) => p.module.id === video)!;
    expect(progress).toMatchObject({ satisfiedAt: null, secondsSpent: 3, positionSeconds: 10 });

    await send('seeked', { [ext('time-from')]: 10, [ext('time-to')]: 0 });
    await send('played', { [ext('time')]: 0 });
    await send('paused', { [ext('time')]: 6, [ext('played-segments')]: '0[.]2[,]9[.]10[,]0[.]6' }, 'PT6S');
    await send('played', { [ext('time')]: 6 });
    await send(
      COMPLETED,
      { [ext('time')]: 10, [ext('progress')]: 1, [ext('played-segments')]: '0[.]2[,]9[.]10[,]0[.]6[,]6[.]10' },
      'PT4S',
    );
    progress = (await mine(assignmentId)).moduleProgress.find((p) => p.module.id === video)!;
    expect(progress).toMatchObject({ satisfiedAt: expect.any(String), waived: false, secondsSpent: 13 });
    expect((await mine(assignmentId)).status).toBe('IN_PROGRESS');

    const WAIVE = `mutation($a: ID!, $m: ID!) { waiveCourseModule(assignmentId: $a, moduleId: $m, reason: ADMINISTRATIVE)
      { waived satisfiedAt module { id } } }`;
    const before = await server.owner.count('xapi_statements');
    expect(errorCode(await worker.request(WAIVE, { a: assignmentId, m: document }))).toBe('FORBIDDEN');
    expect(errorCode(await officer.request(WAIVE, { a: assignmentId, m: officer.userId }))).toBe('NOT_FOUND');
    expect(errorCode(await officer.request(WAIVE, { a: assignmentId, m: video }))).toBe('CONFLICT');
    expect(await server.owner.count('xapi_statements')).toBe(before);

    const { waiveCourseModule } = await data<{ waiveCourseModule: { waived: boolean; satisfiedAt: string } }>(
      officer.request(WAIVE, { a: assignmentId, m: document }),
    );
    expect(waiveCourseModule).toMatchObject({ waived: true, satisfiedAt: expect.any(String) });
    expect(await mine(assignmentId)).toMatchObject({ status: 'COMPLETED', completion: { source: 'CONTENT' } });
    const [waived] = await server.owner.query<{
      statement: { authority: { account: { name: string } }; result: unknown };
    }>(`SELECT statement FROM xapi_statements WHERE registration = $1 AND verb_id = $2`, [
      assignmentId,
      'https://w3id.org/xapi/adl/verbs/waived',
    ]);
    expect(waived!.statement.authority.account.name).toBe('lms');
    expect(waived!.statement.result).toMatchObject({
      success: true,
      completion: true,
      extensions: { 'https://w3id.org/xapi/cmi5/result/extensions/reason': 'Administrative' },
    });
    expect(errorCode(await officer.request(WAIVE, { a: assignmentId, m: video }))).toBe('CONFLICT');
  });

  it('a document is satisfied by its completed statement', async () => {
    const { document, assignmentId } = await course();
    const send = await player(assignmentId, document);
    await send('http://activitystrea.ms/schema/1.0/experienced', {});
    expect((await mine(assignmentId)).moduleProgress.find((p) => p.module.id === document)?.satisfiedAt ?? null).toBe(
      null,
    );
    await send(COMPLETED, {}, 'PT30S');
    const progress = (await mine(assignmentId)).moduleProgress.find((p) => p.module.id === document)!;
    expect(progress).toMatchObject({ satisfiedAt: expect.any(String), secondsSpent: 30 });
  });
});
