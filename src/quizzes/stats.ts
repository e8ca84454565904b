import { CourseAnalytics, type CourseBatch } from '../analytics/analytics.js';
import { builder } from '../core/builder.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { Question } from './question.js';

/**
 * Item analysis of a course's quiz, over its submitted attempts scored against the current key: for each question
 * drawn, how many attempts answered it, the share of its points they earned, and its discrimination (the
 * point-biserial correlation of its credit with the rest of the attempt's percent score: high when those who got
 * it right did well on the others). One statement for every course of an analytics answer.
 */

interface StatRow {
  course_id: string;
  question_id: string;
  answered: number;
  correct_rate: number;
  discrimination: number | null;
}

/**
 * Pearson's r of a 0/1 credit and a score is the point-biserial; partial credit takes the same formula. The attempts
 * are read first: the statement that scores them names no table, so a distributed database (Citus) runs the scoring
 * function from the coordinator and does not nest its reads in a query on a shard, which it refuses.
 */
export async function questionStatsOf(
  tx: CallerTransaction,
  tenantId: string,
  courseIds: string[],
): Promise<StatRow[]> {
  const attempts = await tx.$queryRaw<{ id: string; course_id: string }[]>`
    SELECT a.id::text, a.course_id::text FROM quiz_attempts a
    WHERE a.tenant_id = ${tenantId}::uuid AND a.course_id = ANY(${courseIds}::uuid[]) AND a.status = 'submitted'`;
  if (attempts.length === 0) return [];
  const ids = attempts.map((attempt) => attempt.id);
  return tx.$queryRaw<StatRow[]>`
    WITH attempts AS (
      SELECT * FROM unnest(${ids}::uuid[], ${attempts.map((attempt) => attempt.course_id)}::uuid[]) AS a(id, course_id)
    ), credits AS (
      SELECT c.attempt_id, c.question_id, c.points, c.answered, c.credit, at.course_id
      FROM quiz_question_credits(${ids}::uuid[]) c JOIN attempts at ON at.id = c.attempt_id
    ), totals AS (
      SELECT attempt_id, sum(points * credit) AS earned, sum(points) AS possible FROM credits GROUP BY attempt_id
    )
    SELECT c.course_id::text, c.question_id::text, count(*) FILTER (WHERE c.answered)::int AS answered,
           round(avg(c.credit)::numeric, 4)::float8 AS correct_rate,
           round(corr(c.credit, CASE WHEN t.possible > c.points
                                     THEN 100 * (t.earned - c.points * c.credit) / (t.possible - c.points) END)::numeric,
                 4)::float8 AS discrimination
    FROM credits c JOIN totals t ON t.attempt_id = c.attempt_id
    GROUP BY c.course_id, c.question_id
    ORDER BY c.course_id, c.question_id`;
}

interface QuestionStatsShape {
  questionId: string;
  answered: number;
  correctRate: number;
  discrimination: number | null;
  batch: StatsBatch;
}

interface StatsBatch {
  ids: string[];
  /** The questions, loaded once for the whole answer. */
  questions?: Promise<Map<string, unknown>>;
}

const QuestionStats = builder.objectRef<QuestionStatsShape>('QuestionStats');
QuestionStats.implement({
  description: 'Item analysis of one question of a course’s quiz, over its submitted attempts.',
  fields: (t) => ({
    question: t.prismaField({
      type: Question,
      resolve: async (query, row, _args, context) => {
        const select = (query as { select?: Record<string, unknown> }).select;
        row.batch.questions ??= context.db.quizQuestion
          .findMany({
            ...query,
            ...(select ? { select: { ...select, id: true } } : {}),
            where: { id: { in: row.batch.ids } },
          })
          .then((rows) => new Map(rows.map((found) => [found.id, found])));
        const question = (await row.batch.questions).get(row.questionId);
        return question as Awaited<ReturnType<typeof context.db.quizQuestion.findUniqueOrThrow>>;
      },
    }),
    answered: t.exposeInt('answered', { description: 'Submitted attempts that drew it and saved an answer.' }),
    correctRate: t.exposeFloat('correctRate', {
      description: 'Share (0–1) of its points earned by the submitted attempts that drew it (unanswered: 0).',
    }),
    discrimination: t.exposeFloat('discrimination', {
      nullable: true,
      description:
        "Point-biserial correlation (−1 to 1) of its credit with the rest of the attempt's score; null when either " +
        'does not vary (e.g. everyone got it right) or fewer than two attempts drew it.',
    }),
  }),
});

/** One statement per analytics answer: every course of the list at once. */
const computed = new WeakMap<CourseBatch, Promise<Map<string, QuestionStatsShape[]>>>();

builder.objectField(CourseAnalytics, 'questionStats', (t) =>
  t.withAuth({ may: 'quizzes.manage' }).field({
    type: [QuestionStats],
    description:
      "Item analysis of the course's quiz (admins and safety officers; tenant figures only: empty in one user's progress).",
    resolve: async (row, _args, context) => {
      const { tenantId, ids } = row.courses;
      if (tenantId === null) return [];
      let stats = computed.get(row.courses);
      if (!stats) {
        stats = context
          .transaction((tx) => questionStatsOf(tx, tenantId, ids))
          .then((rows) => {
            const batch: StatsBatch = { ids: [...new Set(rows.map((found) => found.question_id))] };
            const byCourse = new Map<string, QuestionStatsShape[]>();
            for (const found of rows) {
              const list = byCourse.get(found.course_id) ?? [];
              list.push({
                questionId: found.question_id,
                answered: found.answered,
                correctRate: found.correct_rate,
                discrimination: found.discrimination,
                batch,
              });
              byCourse.set(found.course_id, list);
            }
            return byCourse;
          });
        computed.set(row.courses, stats);
      }
      return (await stats).get(row.courseId) ?? [];
    },
  }),
);
