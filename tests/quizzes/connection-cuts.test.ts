import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  QuizAttemptDocument,
  SaveQuizAnswerDocument,
  StartQuizAttemptDocument,
  SubmitQuizAttemptDocument,
  type QuestionInput,
  type QuizAttemptFieldsFragment,
} from '../../src/generated/operations/graphql.js';
import { print } from 'graphql';
import { runScheduledJob } from '../../src/core/jobs.js';
import { send, type Cut } from '../support/cut-client.js';
import { jobNamed, jobRunner } from '../support/jobs.js';
import { answerFor, credit, keyedQuestion, random, scoreOf, stored, type SavedAnswer } from '../support/quiz-key.js';
import { courseWithQuiz, createQuestion, signIn, startedAssignment, type Attempt } from '../support/quizzes.js';
import { ok, startTestServer, type Actor, type GraphQLResponse, type TestServer } from '../support/server.js';
import { onCitus, setupTimeout } from '../support/citus.js';

/**
 * Nothing is lost: WORKERS workers take a QUESTIONS-question quiz at once over real sockets that are cut at random
 * moments (halfway through a request's body, or at once or a few milliseconds after it was sent: a save, a start, a
 * submit; and a save cut just before the deadline passes), retrying as a client does until an answer arrives.
 * Every save the server acknowledged is in the scored attempt (unless a later save of the same question was sent
 * after it), each attempt is closed and scored exactly once, with the score an independent scoring of its stored
 * answers gives, and an attempt whose deadline passed is scored with its saved answers at its next read and by the
 * deadline job. The cuts come from a seeded generator: a failure replays with the same SEED.
 */

const WORKERS = 30;
const QUESTIONS = 20;
const PASS_MARK = 60;
const SEED = Number(process.env.CUTS_SEED ?? 20261207);

let server: TestServer;
let officer: Actor;
let courseId: string;
const keyOf = new Map<string, QuestionInput>();

beforeAll(async () => {
  server = await startTestServer();
  officer = await server.actor('safety_officer');
  const setup = await courseWithQuiz(officer, [], {
    tags: ['cuts'],
    questionCount: QUESTIONS,
    passMark: PASS_MARK,
    timeLimitMinutes: 60,
    review: 'SCORE',
  });
  courseId = setup.courseId;
  // Completing the course takes a passed quiz: each pass records its evidence and completes the assignment.
  await ok(
    officer.request(
      `mutation($id: ID!) { updateTrainingCourse(id: $id, input: { requirements: { quiz: true } }) { id } }`,
      {
        id: courseId,
      },
    ),
  );
  for (let n = 0; n < QUESTIONS; n++) {
    const question = keyedQuestion(n, 'cuts');
    keyOf.set(await createQuestion(officer, question), question);
  }
  // Every change of an attempt's status or score, as the database saw it: closing twice would show. On Citus the
  // trigger runs on the attempt's shard, so the record is a table of the same tenant's shards.
  await server.owner.query(
    'CREATE TABLE test_attempt_changes (tenant_id uuid, attempt_id uuid, old_status text, new_status text, new_score float8)',
  );
  if (onCitus) {
    await server.owner.query(
      "SELECT create_distributed_table('test_attempt_changes', 'tenant_id', colocate_with := 'quiz_attempts')",
    );
  }
  await server.owner.query(`
    CREATE FUNCTION test_attempt_changed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$ BEGIN
      IF (OLD.status, OLD.score, OLD.passed) IS DISTINCT FROM (NEW.status, NEW.score, NEW.passed) THEN
        INSERT INTO test_attempt_changes VALUES (NEW.tenant_id, NEW.id, OLD.status, NEW.status, NEW.score);
      END IF;
      RETURN NEW;
    END $$`);
  await server.owner.query(
    'CREATE TRIGGER test_attempt_changed AFTER UPDATE ON quiz_attempts FOR EACH ROW EXECUTE FUNCTION test_attempt_changed()',
  );
}, setupTimeout(120_000));
afterAll(() => server?.stop());

interface Sending {
  value: string;
  acknowledged: boolean;
}

/** One worker's run: what was shown, every save sent, and what the worker read of the result. */
interface Run {
  assignmentId: string;
  attempt: Attempt;
  sends: Map<string, Sending[]>;
  expired: boolean;
  result: { status: string; score: number | null; passed: boolean | null } | null;
}

const cutCounts = { 'mid-body': 0, 'after-body': 0, never: 0 };

/** A cut most of the time for `cutShare`, half of them halfway through the body. */
function cutFrom(rng: () => number, cutShare: number): Cut {
  const draw = rng();
  const cut: Cut =
    draw >= cutShare
      ? { at: 'never' }
      : draw < cutShare / 3
        ? { at: 'mid-body' }
        : { at: 'after-body', delayMs: Math.floor(rng() * 8) };
  cutCounts[cut.at]++;
  return cut;
}

const backoff = (rng: () => number) => new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(rng() * 10)));

/** Sends until an answer arrives, as a client does after a dropped connection. */
async function untilAnswered<Data>(
  worker: Actor,
  request: { query: string; variables: Record<string, unknown> },
  rng: () => number,
  cutShare: number,
): Promise<GraphQLResponse<Data>> {
  for (;;) {
    const sent = await send<Data>(server.url, worker.token, request, cutFrom(rng, cutShare));
    if (sent.answered) return sent.response;
    await backoff(rng);
  }
}

const SAVE = print(SaveQuizAnswerDocument);
const code = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.code;

async function takeQuiz(index: number): Promise<Run> {
  const rng = random(SEED + index);
  const worker = await server.actor('worker', { tenantId: officer.tenantId });
  await signIn(worker);
  const assignmentId = await startedAssignment(officer, worker, courseId);
  const started = await untilAnswered<{ startQuizAttempt: QuizAttemptFieldsFragment }>(
    worker,
    { query: print(StartQuizAttemptDocument), variables: { assignmentId } },
    rng,
    0.4,
  );
  const attempt = started.data!.startQuizAttempt;
  // A third of the workers see their deadline pass, after a save cut just before it.
  const expireAfter = rng() < 1 / 3 ? Math.floor(rng() * QUESTIONS) : -1;
  const run: Run = { assignmentId, attempt, sends: new Map(), expired: false, result: null };
  for (const [place, shown] of attempt.questions.entries()) {
    const sends: Sending[] = [];
    run.sends.set(shown.id, sends);
    for (let change = rng() < 0.3 ? 2 : 1; change > 0 && !run.expired; change--) {
      const answer = answerFor(keyOf.get(shown.id)!, shown, rng, rng() < 0.7);
      const variables = { attemptId: attempt.id, questionId: shown.id, answer };
      for (;;) {
        const sent = await send<{ saveQuizAnswer: boolean }>(
          server.url,
          worker.token,
          { query: SAVE, variables },
          cutFrom(rng, 0.4),
        );
        const acknowledged = sent.answered && sent.response.data?.saveQuizAnswer === true;
        sends.push({ value: stored(answer), acknowledged });
        if (sent.answered && !acknowledged) expect(code(sent.response)).toBe('ATTEMPT_CLOSED');
        if (sent.answered) break;
        if (place === expireAfter) {
          await server.owner.query(`UPDATE quiz_attempts SET deadline = now() - interval '1 second' WHERE id = $1`, [
            attempt.id,
          ]);
          run.expired = true;
        }
        await backoff(rng);
      }
    }
    if (place === expireAfter && !run.expired) {
      await server.owner.query(`UPDATE quiz_attempts SET deadline = now() - interval '1 second' WHERE id = $1`, [
        attempt.id,
      ]);
      run.expired = true;
    }
    if (run.expired) break;
  }
  if (!run.expired) {
    const submitted = await untilAnswered<{ submitQuizAttempt: QuizAttemptFieldsFragment }>(
      worker,
      { query: print(SubmitQuizAttemptDocument), variables: { attemptId: attempt.id } },
      rng,
      0.5,
    );
    // ATTEMPT_CLOSED: an earlier submit, whose answer the cut lost, closed it.
    if (submitted.data) run.result = submitted.data.submitQuizAttempt;
    else expect(code(submitted)).toBe('ATTEMPT_CLOSED');
  }
  // Expired attempts: half are read by their worker before the deadline job runs, half only after.
  if (!run.result && (!run.expired || rng() < 0.5)) {
    run.result = (await worker.request(QuizAttemptDocument, { id: attempt.id })).data!.quizAttempt!;
  }
  return run;
}

/** The values a question may hold: the last acknowledged save's, or one sent after it (no answer when none was). */
function allowed(sends: Sending[]): Set<string | undefined> {
  const last = sends.map((sending) => sending.acknowledged).lastIndexOf(true);
  const after = sends.slice(last < 0 ? 0 : last).map((sending) => sending.value);
  return new Set(last < 0 ? [undefined, ...after] : after);
}

const storedForm = (row: {
  choice_ids: string[];
  number: number | null;
  text: string | null;
  matches: SavedAnswer['matches'];
  ordering: string[];
}) =>
  JSON.stringify({
    choiceIds: row.choice_ids,
    number: row.number,
    text: row.text,
    matches: row.matches?.map(({ itemId, choiceId }) => ({ itemId, choiceId })) ?? null,
    order: row.ordering,
  });

describe('attempts whose connections are cut', () => {
  let runs: Run[];

  beforeAll(async () => {
    runs = await Promise.all(Array.from({ length: WORKERS }, (_, index) => takeQuiz(index)));
    const summary = await runScheduledJob(jobRunner(server.db.prisma), jobNamed('quiz_deadlines'), new Date());
    expect(summary.failed).toBe(0);
  }, 600_000);

  it('were cut in every way, and each assignment has one attempt, closed once', async () => {
    expect(Object.values(cutCounts).every((count) => count > 0)).toBe(true);
    expect(runs.some((run) => run.expired) && runs.some((run) => !run.expired)).toBe(true);
    const attempts = await server.owner.query<{ assignment_id: string; status: string; changes: string[] }>(
      `SELECT a.assignment_id::text, a.status,
              ARRAY(SELECT c.old_status || '>' || c.new_status FROM test_attempt_changes c WHERE c.tenant_id = a.tenant_id AND c.attempt_id = a.id) AS changes
       FROM quiz_attempts a WHERE a.course_id = $1`,
      [courseId],
    );
    expect(attempts).toHaveLength(WORKERS);
    for (const attempt of attempts)
      expect(attempt).toMatchObject({ status: 'submitted', changes: ['in_progress>submitted'] });
  });

  it('kept every acknowledged save, and scored the attempt with the answers it holds', async () => {
    let settled = 0;
    for (const run of runs) {
      const rows = await server.owner.query<Parameters<typeof storedForm>[0] & { question_id: string }>(
        `SELECT question_id::text, choice_ids::text[], number, text, matches, ordering::text[] FROM quiz_answers WHERE attempt_id = $1`,
        [run.attempt.id],
      );
      const held = new Map(rows.map((row) => [row.question_id, storedForm(row)]));
      const credits = run.attempt.questions.map((shown) => {
        const value = held.get(shown.id);
        expect(allowed(run.sends.get(shown.id) ?? []), `question ${shown.id} of attempt ${run.attempt.id}`).toContain(
          value,
        );
        const answer = value === undefined ? undefined : (JSON.parse(value) as SavedAnswer);
        return { points: shown.points, credit: credit(keyOf.get(shown.id)!, shown, answer) };
      });
      const [attempt] = await server.owner.query<{ score: number; passed: boolean; at_deadline: boolean }>(
        'SELECT score, passed, submitted_at = deadline AS at_deadline FROM quiz_attempts WHERE id = $1',
        [run.attempt.id],
      );
      expect(attempt!.score).toBeCloseTo(scoreOf(credits), 2);
      expect(attempt!.passed).toBe(attempt!.score >= PASS_MARK);
      expect(attempt!.at_deadline).toBe(run.expired);
      if (run.result)
        expect(run.result).toMatchObject({ status: 'SUBMITTED', score: attempt!.score, passed: attempt!.passed });
      // Where every question's last save was acknowledged, the acknowledged answers alone give the score.
      const sends = [...run.sends.values()];
      if (sends.every((list) => list.at(-1)?.acknowledged)) {
        settled++;
        const acknowledged = run.attempt.questions.map((shown) => {
          const last = run.sends.get(shown.id)?.at(-1);
          const answer = last ? (JSON.parse(last.value) as SavedAnswer) : undefined;
          return { points: shown.points, credit: credit(keyOf.get(shown.id)!, shown, answer) };
        });
        expect(attempt!.score).toBeCloseTo(scoreOf(acknowledged), 2);
      }
    }
    expect(settled).toBeGreaterThan(0);
  });

  it('recorded each pass once: one piece of quiz evidence and one completion by the quiz, none for a failure', async () => {
    const rows = await server.owner.query<{
      passed: boolean;
      score: number;
      evidence: string[];
      completions: string[];
    }>(
      `SELECT a.passed, a.score,
              ARRAY(SELECT e.kind || ':' || e.passed || ':' || e.score::float8 FROM training_evidence e
                    WHERE e.tenant_id = a.tenant_id AND e.assignment_id = a.assignment_id) AS evidence,
              ARRAY(SELECT c.source || ':' || c.passed || ':' || c.score::float8 FROM training_completions c
                    WHERE c.tenant_id = a.tenant_id AND c.assignment_id = a.assignment_id) AS completions
       FROM quiz_attempts a WHERE a.course_id = $1`,
      [courseId],
    );
    expect(rows.filter((row) => row.passed).length).toBeGreaterThan(0);
    expect(rows.filter((row) => !row.passed).length).toBeGreaterThan(0);
    for (const row of rows) {
      const recorded = row.passed ? [`quiz:true:${row.score}`] : [];
      expect(row.evidence).toEqual(recorded);
      expect(row.completions).toEqual(recorded);
    }
  });
});
