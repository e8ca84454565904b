import { mintToken } from '../../src/core/auth.js';
import type { AnswerInput, QuestionInput } from '../../src/generated/operations/graphql.js';
import { answerFor, keyedQuestion, random } from '../../tests/support/quiz-key.js';
import { courseWithQuiz, createQuestion, type ShownQuestion } from '../../tests/support/quizzes.js';
import { ok, TEST_JWT_SECRET, type Actor, type TestServer } from '../../tests/support/server.js';

/**
 * The quiz benchmark's data: a bank of QUESTIONS questions of every kind (tests/support/quiz-key.ts), a course whose
 * quiz draws all of them and whose completion takes a pass, and `workers` workers each with a started assignment
 * and an attempt in progress. The bank and the course are made through the API; profiles and assignments
 * set-based as the owner; each attempt by the grader's own function `quiz_start_attempt`, called as its worker
 * (what startQuizAttempt runs), so attempts draw and shuffle exactly as through the API.
 */

export const QUESTIONS = 20;
export const PASS_MARK = 60;

export interface Taker {
  userId: string;
  token: string;
  attemptId: string;
  questions: ShownQuestion[];
}

export interface QuizData {
  officer: Actor;
  courseId: string;
  keyOf: Map<string, QuestionInput>;
  takers: Taker[];
}

export async function seedQuiz(server: TestServer, workers: number): Promise<QuizData> {
  const officer = await server.actor('safety_officer');
  const { courseId } = await courseWithQuiz(officer, [], {
    tags: ['bench'],
    questionCount: QUESTIONS,
    passMark: PASS_MARK,
    review: 'SCORE',
  });
  await ok(
    officer.request(
      `mutation($id: ID!) { updateTrainingCourse(id: $id, input: { requirements: { quiz: true } }) { id } }`,
      {
        id: courseId,
      },
    ),
  );
  const keyOf = new Map<string, QuestionInput>();
  for (let n = 0; n < QUESTIONS; n++) {
    const question = keyedQuestion(n, 'bench');
    keyOf.set(await createQuestion(officer, question), question);
  }
  const tenant = officer.tenantId;
  await server.owner.query(
    `INSERT INTO profiles (id, tenant_id, role, display_name)
     SELECT gen_random_uuid(), $1, 'worker', 'Worker ' || n FROM generate_series(1, $2) n`,
    [tenant, workers],
  );
  await server.owner.query(
    `INSERT INTO training_assignments (tenant_id, course_id, user_id, assigned_by, assignment_type, status,
                                       assigned_at, started_at)
     SELECT $1, $2, p.id, $3, 'manual', 'in_progress', now(), now()
     FROM profiles p WHERE p.tenant_id = $1 AND p.role = 'worker'`,
    [tenant, courseId, officer.userId],
  );
  await server.owner.query(`
    DO $$ DECLARE assignment RECORD; BEGIN
      FOR assignment IN SELECT id, user_id FROM training_assignments
                        WHERE tenant_id = '${tenant}' AND course_id = '${courseId}' ORDER BY id LOOP
        PERFORM set_config('app.tenant_id', '${tenant}', true), set_config('app.user_id', assignment.user_id::text, true),
                set_config('app.role', 'worker', true);
        PERFORM quiz_start_attempt(assignment.id);
      END LOOP;
    END $$`);
  await server.owner.query('VACUUM ANALYZE');
  const rows = await server.owner.query<{
    user_id: string;
    attempt_id: string;
    question_id: string;
    kind: string;
    text: string;
    points: number;
    choices: { id: string; text: string }[];
    items: { id: string; text: string }[] | null;
  }>(
    `SELECT a.user_id::text, a.id::text AS attempt_id, q.question_id::text, q.kind, q.text, q.points, q.choices, q.items
     FROM quiz_attempts a JOIN quiz_attempt_questions q ON q.attempt_id = a.id
     WHERE a.course_id = $1 ORDER BY a.user_id, q.position`,
    [courseId],
  );
  const byUser = new Map<string, Taker>();
  for (const row of rows) {
    let taker = byUser.get(row.user_id);
    if (!taker) {
      const token = await mintToken({ secret: TEST_JWT_SECRET, tenantId: tenant, userId: row.user_id, role: 'worker' });
      taker = { userId: row.user_id, token, attemptId: row.attempt_id, questions: [] };
      byUser.set(row.user_id, taker);
    }
    taker.questions.push({
      __typename: 'AttemptQuestion',
      id: row.question_id,
      kind: row.kind.toUpperCase() as ShownQuestion['kind'],
      text: row.text,
      points: row.points,
      choices: row.choices,
      items: row.items,
      savedAnswer: null,
    } as ShownQuestion);
  }
  return { officer, courseId, keyOf, takers: [...byUser.values()] };
}

/** Each taker's answers, in the order shown: each right by a chance of its own, so about half the attempts pass. */
export function answersOf(data: QuizData, seed: number): Map<string, AnswerInput[]> {
  return new Map(
    data.takers.map((taker, index) => {
      const rng = random(seed + index);
      const skill = 0.2 + 0.6 * rng();
      const answers = taker.questions.map((shown) => answerFor(data.keyOf.get(shown.id)!, shown, rng, rng() < skill));
      return [taker.attemptId, answers];
    }),
  );
}
