import { performance } from 'node:perf_hooks';
import { print } from 'graphql';
import { RegradeQuizDocument, SubmitQuizAttemptDocument } from '../../src/generated/operations/graphql.js';
import { ok, type TestServer } from '../../tests/support/server.js';
import { runClients } from './clients.js';
import type { QuizData } from './seed.js';

/**
 * Regrading: every attempt of the benchmark's course is answered (those the save runs left without answers copy
 * the answers of one that has them, MATCHING partners mapped by their text) and submitted through the API, so
 * passes record their evidence, completions and certificates. Then three SINGLE_CHOICE keys are fixed (the right
 * and the half-right choice swap) and `regradeQuiz` is timed through the API, and once more with nothing to change.
 */

const SUBMITTERS = 50;

export interface RegradeFigures {
  attempts: number;
  passedBefore: number;
  submitSeconds: number;
  fixed: { seconds: number; regraded: number; changed: number; lost: number; gained: number };
  unchanged: { seconds: number; regraded: number; changed: number };
}

async function answerTheRest(server: TestServer, courseId: string): Promise<void> {
  await server.owner.query(
    `WITH saved AS (SELECT attempt_id, row_number() OVER (ORDER BY attempt_id) - 1 AS n
                    FROM (SELECT DISTINCT attempt_id FROM quiz_answers) s),
          bare AS (SELECT a.id, a.tenant_id, row_number() OVER (ORDER BY a.id) - 1 AS n FROM quiz_attempts a
                   WHERE a.course_id = $1 AND NOT EXISTS (SELECT 1 FROM quiz_answers q WHERE q.attempt_id = a.id)),
          pairs AS (SELECT b.id AS x, b.tenant_id, s.attempt_id AS t
                    FROM bare b JOIN saved s ON s.n = b.n % (SELECT count(*) FROM saved))
     INSERT INTO quiz_answers (tenant_id, attempt_id, question_id, choice_ids, number, text, matches, ordering)
     SELECT p.tenant_id, p.x, ta.question_id, ta.choice_ids, ta.number, ta.text,
            CASE WHEN ta.matches IS NOT NULL THEN
              (SELECT coalesce(jsonb_agg(jsonb_build_object('itemId', m ->> 'itemId', 'choiceId', xo ->> 'id')
                                         ORDER BY m ->> 'itemId'), '[]')
               FROM jsonb_array_elements(ta.matches) m
               JOIN jsonb_array_elements(tq.choices) t_o ON t_o ->> 'id' = m ->> 'choiceId'
               JOIN jsonb_array_elements(xq.choices) xo ON xo ->> 'text' = t_o ->> 'text') END,
            ta.ordering
     FROM pairs p
     JOIN quiz_answers ta ON ta.attempt_id = p.t
     JOIN quiz_attempt_questions tq ON tq.attempt_id = p.t AND tq.question_id = ta.question_id
     JOIN quiz_attempt_questions xq ON xq.attempt_id = p.x AND xq.question_id = ta.question_id`,
    [courseId],
  );
}

const passes = async (server: TestServer, courseId: string) =>
  server.owner.query<{ id: string; passed: boolean }>(
    'SELECT id::text, passed FROM quiz_attempts WHERE course_id = $1',
    [courseId],
  );

async function timedRegrade(data: QuizData) {
  const started = performance.now();
  const { regradeQuiz } = await ok(data.officer.request(RegradeQuizDocument, { courseId: data.courseId }));
  return {
    seconds: (performance.now() - started) / 1000,
    regraded: regradeQuiz.attemptsRegraded,
    changed: regradeQuiz.changed,
  };
}

export async function regradeBench(server: TestServer, data: QuizData): Promise<RegradeFigures> {
  await answerTheRest(server, data.courseId);
  const submitStarted = performance.now();
  const submit = print(SubmitQuizAttemptDocument);
  const perClient = Math.ceil(data.takers.length / SUBMITTERS);
  const run = await runClients({
    kind: 'http',
    url: server.url,
    answer: '"status":"SUBMITTED"',
    clients: Array.from({ length: SUBMITTERS }, (_, n) => data.takers.slice(n * perClient, (n + 1) * perClient)).map(
      (takers) => ({
        token: takers[0]!.token,
        bodies: takers.map((taker) => JSON.stringify({ query: submit, variables: { attemptId: taker.attemptId } })),
        tokens: takers.map((taker) => taker.token),
      }),
    ),
  });
  if (run.failures > 0) throw new Error(`${run.failures} submits failed: ${run.firstFailure}`);
  const submitSeconds = (performance.now() - submitStarted) / 1000;
  const before = new Map((await passes(server, data.courseId)).map((row) => [row.id, row.passed]));
  await server.owner.query('VACUUM ANALYZE');

  // The fix: in three SINGLE_CHOICE questions, the half-right choice was the right one.
  for (const [questionId, question] of data.keyOf) {
    if (question.kind !== 'SINGLE_CHOICE') continue;
    const choices = await server.owner.query<{ id: string; text: string; credit: number }>(
      'SELECT id::text, text, credit FROM quiz_choices WHERE question_id = $1 ORDER BY position',
      [questionId],
    );
    const swapped = { 100: 50, 50: 100 } as Record<number, number>;
    const input = {
      ...question,
      choices: choices.map((choice) => ({
        id: choice.id,
        text: choice.text,
        credit: swapped[choice.credit] ?? choice.credit,
      })),
    };
    await ok(
      data.officer.request(
        `mutation($id: ID!, $input: QuestionInput!) { updateQuestion(id: $id, input: $input) { id } }`,
        { id: questionId, input },
      ),
    );
  }
  const fixed = await timedRegrade(data);
  const after = await passes(server, data.courseId);
  const lost = after.filter((row) => before.get(row.id) && !row.passed).length;
  const gained = after.filter((row) => !before.get(row.id) && row.passed).length;
  const unchanged = await timedRegrade(data);
  const passedBefore = [...before.values()].filter(Boolean).length;
  return { attempts: before.size, passedBefore, submitSeconds, fixed: { ...fixed, lost, gained }, unchanged };
}
