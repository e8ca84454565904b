import { runAsCaller, type Caller } from '../../src/core/caller/index.js';
import { openDatabase } from '../../src/core/db.js';
import { regradeCourse } from '../../src/quizzes/regrade.js';
import { questionStatsOf } from '../../src/quizzes/stats.js';
import { createBenchDatabase } from '../../tests/support/database.js';
import { fmt, median, table } from '../../tests/support/report.js';
import type { Benchmark } from '../suite.js';

/**
 * `regradeQuiz` on 10,000 submitted attempts of 10 questions each (target: well under 10 s), and the item analysis
 * of the same quiz. The attempts are seeded as the owner: a bank of 10 questions of five kinds, every attempt
 * showing all of them with random answers, scored by the database's own function. Measured: a regrade after a key
 * fix (one question's right choice moved: most scores change, the few attempts that reach the pass mark complete
 * their assignments), a regrade that changes nothing, and questionStats over all attempts.
 */

const ATTEMPTS = Number(process.env.QUIZ_BENCH_ATTEMPTS ?? 10_000);
const RUNS = Number(process.env.QUIZ_BENCH_RUNS ?? 5);
const PUBLIC_URL = 'http://localhost';

const TENANT = '5b0c7a4e-1f2d-4c3b-9a8e-7d6c5b4a3f21';
const ADMIN = '6c1d8b5f-2a3e-4d4c-8b9f-8e7d6c5b4a32';
const COURSE = '7d2e9c6a-3b4f-4e5d-9cab-9f8e7d6c5b43';

/** The bank: four single-choice, two multiple-choice, a true/false, a numeric, a short answer, an ordering question. */
const SEED = `
  INSERT INTO profiles (tenant_id, id, role, display_name) VALUES ($1, $2, 'admin', 'Bench Admin');
  INSERT INTO training_courses (tenant_id, id, title, category, created_by, requires_quiz)
  VALUES ($1, $3, 'Bench quiz course', 'equipment_safety', $2, true);
  INSERT INTO course_quizzes (tenant_id, course_id, tags, question_count, pass_mark, updated_by)
  VALUES ($1, $3, '{bench}', 10, 90, $2);
  INSERT INTO quiz_questions (tenant_id, id, kind, text, tags, numeric_answer, accepted_answers, created_by)
  SELECT $1, gen_random_uuid(), k.kind, 'Question ' || k.n, '{bench}',
         CASE WHEN k.kind = 'numeric' THEN 3 END, CASE WHEN k.kind = 'short_answer' THEN '{three}'::text[] ELSE '{}' END,
         $2
  FROM unnest(ARRAY['single_choice', 'single_choice', 'single_choice', 'single_choice', 'multiple_choice',
                    'multiple_choice', 'true_false', 'numeric', 'short_answer', 'ordering']) WITH ORDINALITY AS k(kind, n);
  INSERT INTO quiz_choices (tenant_id, question_id, position, text, credit)
  SELECT $1, q.id, p.n - 1, 'Choice ' || p.n,
         CASE WHEN q.kind IN ('single_choice', 'true_false') AND p.n = 1 THEN 100
              WHEN q.kind = 'multiple_choice' AND p.n <= 2 THEN 50
              WHEN q.kind = 'multiple_choice' THEN -50 ELSE 0 END
  FROM quiz_questions q
  JOIN generate_series(1, 4) AS p(n) ON q.kind IN ('single_choice', 'multiple_choice', 'ordering')
                                     OR (q.kind = 'true_false' AND p.n <= 2)
  WHERE q.tenant_id = $1;
  INSERT INTO profiles (tenant_id, id, role, display_name)
  SELECT $1, gen_random_uuid(), 'worker', 'Worker ' || n FROM generate_series(1, $4::int) AS n;
  INSERT INTO training_assignments (tenant_id, course_id, user_id, status, started_at, assigned_by)
  SELECT $1, $3, p.id, 'in_progress', now(), $2 FROM profiles p WHERE p.tenant_id = $1 AND p.role = 'worker';
  INSERT INTO quiz_attempts (tenant_id, assignment_id, course_id, user_id, number, pass_mark, started_at)
  SELECT $1, a.id, $3, a.user_id, 1, 90, now() - interval '1 hour' FROM training_assignments a WHERE a.tenant_id = $1;
  INSERT INTO quiz_attempt_questions (tenant_id, attempt_id, question_id, position, kind, text, points, choices)
  SELECT $1, a.id, q.id, row_number() OVER (PARTITION BY a.id ORDER BY q.id) - 1, q.kind, q.text, q.points,
         coalesce((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'text', c.text) ORDER BY c.position)
                   FROM quiz_choices c WHERE c.question_id = q.id), '[]')
  FROM quiz_attempts a CROSS JOIN quiz_questions q WHERE a.tenant_id = $1 AND q.tenant_id = $1;
  INSERT INTO quiz_answers (tenant_id, attempt_id, question_id, choice_ids, number, text, ordering)
  SELECT $1, aq.attempt_id, aq.question_id,
         CASE WHEN aq.kind IN ('single_choice', 'true_false')
              THEN ARRAY[(aq.choices -> floor(random() * jsonb_array_length(aq.choices))::int ->> 'id')::uuid]
              WHEN aq.kind = 'multiple_choice'
              THEN ARRAY(SELECT (e ->> 'id')::uuid FROM jsonb_array_elements(aq.choices) e WHERE random() < 0.5)
              ELSE '{}' END,
         CASE WHEN aq.kind = 'numeric' THEN floor(random() * 5) END,
         CASE WHEN aq.kind = 'short_answer' THEN (ARRAY['three', 'Three', 'four'])[1 + floor(random() * 3)::int] END,
         CASE WHEN aq.kind = 'ordering'
              THEN ARRAY(SELECT (e ->> 'id')::uuid FROM jsonb_array_elements(aq.choices) e ORDER BY random())
              ELSE '{}' END
  FROM quiz_attempt_questions aq WHERE aq.tenant_id = $1;
  UPDATE quiz_attempts a SET status = 'submitted', submitted_at = now(), score = s.score, passed = s.score >= a.pass_mark
  FROM quiz_attempt_scores(ARRAY(SELECT id FROM quiz_attempts WHERE tenant_id = $1)) s WHERE a.id = s.attempt_id;
  -- Attempts that passed completed their assignments (their evidence is not seeded: a pass the regrade takes
  -- back retracts nothing there).
  UPDATE training_assignments t SET status = 'completed', completed_at = now()
  FROM quiz_attempts a WHERE a.assignment_id = t.id AND a.passed;
`;

const SEEDED_TABLES = [
  'profiles',
  'training_courses',
  'course_quizzes',
  'quiz_questions',
  'quiz_choices',
  'training_assignments',
  'quiz_attempts',
  'quiz_attempt_questions',
  'quiz_answers',
];

/** Swaps the credits of a single-choice question's first two choices: the right one moves (and back, next run). */
const FIX_KEY = `
  UPDATE quiz_choices c SET credit = 100 - c.credit
  WHERE c.question_id = (SELECT id FROM quiz_questions WHERE tenant_id = $1 AND text = 'Question 1')
    AND c.position IN (0, 1)`;

export const quizzes: Benchmark = {
  name: 'quizzes',
  async run() {
    const bench = await createBenchDatabase('bench_quizzes');
    const db = await openDatabase({ url: bench.url, poolMax: 4 });
    try {
      await bench.withClient(async (client) => {
        await client.query('BEGIN');
        for (const name of SEEDED_TABLES) await client.query(`ALTER TABLE "${name}" NO FORCE ROW LEVEL SECURITY`);
        for (const statement of SEED.split(';').filter((text) => text.trim())) {
          // Constants of this file, written in as literals (a statement may use $3 and not $2).
          const values = [`'${TENANT}'::uuid`, `'${ADMIN}'::uuid`, `'${COURSE}'::uuid`, String(ATTEMPTS)];
          await client.query(statement.replace(/\$(\d)(::int)?/g, (_match, n: string) => values[Number(n) - 1]!));
        }
        // The deferred foreign key's checks run now: a table with pending ones cannot be altered.
        await client.query('SET CONSTRAINTS ALL IMMEDIATE');
        for (const name of SEEDED_TABLES) await client.query(`ALTER TABLE "${name}" FORCE ROW LEVEL SECURITY`);
        await client.query('COMMIT');
        await client.query('VACUUM ANALYZE');
      });
      const admin: Caller = { tenantId: TENANT, userId: ADMIN, role: 'admin' };
      const timed = async <T>(fn: () => Promise<T>) => {
        const started = performance.now();
        const result = await fn();
        return { ms: performance.now() - started, result };
      };
      const regrade = () =>
        runAsCaller(db.prisma, admin, (tx) => regradeCourse(tx, TENANT, PUBLIC_URL, COURSE), { timeout: 120_000 });
      const rows: (string | number)[][] = [];
      const fixes: number[] = [];
      let fixed = { attemptsRegraded: 0, changed: 0 };
      for (let run = 0; run < RUNS; run++) {
        await bench.withClient(async (client) => {
          await client.query('BEGIN');
          await client.query('ALTER TABLE quiz_choices NO FORCE ROW LEVEL SECURITY');
          await client.query(FIX_KEY, [TENANT]);
          await client.query('ALTER TABLE quiz_choices FORCE ROW LEVEL SECURITY');
          await client.query('COMMIT');
        });
        const { ms, result } = await timed(regrade);
        fixes.push(ms);
        fixed = result;
      }
      rows.push([
        `after a key fix (${fixed.changed.toLocaleString('en')} of ${fixed.attemptsRegraded.toLocaleString('en')} attempts change)`,
        fmt(median(fixes)),
      ]);
      const unchanged: number[] = [];
      for (let run = 0; run < RUNS; run++) unchanged.push((await timed(regrade)).ms);
      rows.push(['nothing to change', fmt(median(unchanged))]);
      const stats: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        stats.push(
          (await timed(() => runAsCaller(db.prisma, admin, (tx) => questionStatsOf(tx, TENANT, [COURSE])))).ms,
        );
      }
      rows.push(['questionStats of the course (one statement)', fmt(median(stats))]);
      return [
        '## Quizzes: regrade and item analysis',
        '',
        `${ATTEMPTS.toLocaleString('en')} submitted attempts × 10 questions (single and multiple choice, true/false, numeric, short ` +
          `answer, ordering), random answers; median of ${RUNS} runs as an admin under RLS (\`bench/quizzes\`).`,
        '',
        table(['regradeQuiz', 'ms'], rows),
      ].join('\n');
    } finally {
      await db.close();
      await bench.drop();
    }
  },
};
