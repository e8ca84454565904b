import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  StartTrainingAssignmentDocument,
  TrainingCoursesDocument,
  WebMeDocument,
} from '../../src/generated/operations/graphql.js';
import { ok, type Actor } from '../support/server.js';
import { assignCourse, createCourse } from '../support/training.js';
import { region, seriousViolations, useWebApp } from './browser.js';

/**
 * Trusted completions in the web app, in a real browser: the worker's "Complete" form only for courses that take
 * a reported result, with nothing pre-chosen and the score required; officers set what a course requires and
 * record practical evaluations.
 */

const web = useWebApp();
let officer: Actor;
let worker: Actor;

beforeAll(async () => {
  officer = await web.server.actor('safety_officer', { name: 'Sam Officer' });
  worker = await web.server.actor('worker', { tenantId: officer.tenantId, name: 'Wei Chen' });
  await ok(worker.request(WebMeDocument));
}, 360_000);

const open = (actor: Actor, path: string, viewport = { width: 1280, height: 900 }) =>
  web.open(actor.token, path, { viewport });

const card = (page: Page, group: string, title: string) =>
  region(page, group).getByRole('listitem').filter({ hasText: title });

/** A started assignment of a new course for the worker. */
async function started(title: string, requirements: { practicalEvaluation?: boolean } = {}): Promise<string> {
  const courseId = await createCourse(officer, { title, category: 'EQUIPMENT_SAFETY', requirements });
  const assignmentId = await assignCourse(officer, courseId, worker.userId);
  await ok(worker.request(StartTrainingAssignmentDocument, { assignmentId }));
  return assignmentId;
}

const completionsOf = async (assignmentId: string) =>
  web.server.owner.query<{ passed: boolean; source: string; score: string }>(
    'SELECT passed, source, score::text AS score FROM training_completions WHERE assignment_id = $1',
    [assignmentId],
  );

describe('the worker', () => {
  it('reports a result only with a score and a chosen result; nothing is pre-ticked', async () => {
    const assignmentId = await started('Ladder Basics');
    const page = await open(worker, '/', { width: 375, height: 812 });
    const item = card(page, 'In progress', 'Ladder Basics');
    await item.getByRole('button', { name: 'Complete' }).click();

    expect(await item.getByLabel('Passed', { exact: true }).isChecked()).toBe(false);
    expect(await item.getByLabel('Not passed', { exact: true }).isChecked()).toBe(false);
    await item.getByRole('button', { name: 'Complete' }).click();
    await item.getByText('Enter your score.').waitFor();
    await item.getByText('Choose whether you passed.').waitFor();
    await expect(item.getByLabel('Score (0–100)').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await completionsOf(assignmentId)).toEqual([]);

    await item.getByLabel('Score (0–100)').fill('88');
    await item.getByLabel('Passed', { exact: true }).check();
    await item.getByRole('button', { name: 'Complete' }).click();
    const done = card(page, 'Completed', 'Ladder Basics');
    await done.waitFor();
    expect(await done.textContent()).toContain('Self-reported result');
    expect(await completionsOf(assignmentId)).toEqual([{ passed: true, source: 'self_report', score: '88' }]);
  }, 60_000);

  it('has no Complete button for a course completed by a practical evaluation, and says what it takes', async () => {
    await started('Reach Truck', { practicalEvaluation: true });
    const page = await open(worker, '/', { width: 375, height: 812 });
    const item = card(page, 'In progress', 'Reach Truck');
    await item.waitFor();

    expect(await item.textContent()).toContain('Pass a practical evaluation');
    expect(await item.getByRole('button', { name: 'Complete' }).count()).toBe(0);
  }, 60_000);
});

describe('the officer', () => {
  it('sets a course to require a practical evaluation, then records a failed and a passed one', async () => {
    const page = await open(officer, '/analytics');
    const courses = region(page, 'Courses');
    await courses.getByLabel('Title', { exact: true }).fill('Forklift Operation');
    await courses.getByLabel('Requires a practical evaluation').check();
    await courses.getByRole('button', { name: 'Create course' }).click();
    await expect
      .poll(async () => {
        const list = await officer.request(TrainingCoursesDocument, { filter: { search: 'Forklift Operation' } });
        return list.data?.trainingCourses.nodes[0]?.requirements;
      })
      .toEqual({ quiz: false, content: false, practicalEvaluation: true });
    const list = await ok(officer.request(TrainingCoursesDocument, { filter: { search: 'Forklift Operation' } }));
    const assignmentId = await assignCourse(officer, list.trainingCourses.nodes[0]!.id, worker.userId);

    await page.reload();
    const assignments = region(page, 'Assignments');
    const record = assignments.getByRole('button', { name: 'Record evaluation of Forklift Operation for Wei Chen' });
    await record.click();
    const form = assignments.getByRole('form', { name: 'Record a practical evaluation' });
    await form.getByLabel('Not passed', { exact: true }).check();
    await form.getByLabel('Notes').fill('Forks raised while turning');
    expect(await seriousViolations(page)).toEqual([]);
    await form.getByRole('button', { name: 'Record evaluation' }).click();
    await page.getByText('Recorded a failed practical evaluation of Forklift Operation for Wei Chen.').waitFor();
    expect(await completionsOf(assignmentId)).toEqual([]);

    await record.click();
    await form.getByLabel('Passed', { exact: true }).check();
    await form.getByLabel('Evaluation score (0–100)').fill('91');
    await form.getByRole('button', { name: 'Record evaluation' }).click();
    await page.getByText('Recorded a passed practical evaluation of Forklift Operation for Wei Chen.').waitFor();
    expect(await completionsOf(assignmentId)).toEqual([{ passed: true, source: 'practical_evaluation', score: '91' }]);
    const [evidence] = await web.server.owner.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM training_evidence WHERE assignment_id = $1 AND recorded_by = $2',
      [assignmentId, officer.userId],
    );
    expect(evidence).toEqual({ n: 2 });
  }, 90_000);
});
