import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileJsonPage } from '../../src/core/json-page-sql.js';
import { ASSIGNMENT_TABLE } from '../../src/assignments/assignment-sql.js';
// Maps Assignment.completions, which the relation cases below compile.
import '../../src/completions/completion-sql.js';
import { COURSE_TABLE } from '../../src/courses/course-sql.js';
import { useCompiledReadsServer, INSTANTS, dataArb, caseArb, seed, send } from './compiled-reads-fixtures.js';

/**
 * The one-statement page reads (src/core/json-page-sql.ts) answer exactly what the Prisma path answers:
 * on random courses, assignments and completions (nulls, ties in the order, decimals, microseconds, text
 * with LIKE wildcards) and random selections, filters and page sizes of the fields they compile, the
 * response text with compiled reads on equals, byte for byte, the text with them off. The statement log
 * proves which path ran. Selections the compiler does not take (a cursor, `last`) fall back, same answer.
 */

useCompiledReadsServer();

const SEED = Number(process.env.COMPILED_READS_SEED ?? 20261202);
const RUNS = Number(process.env.COMPILED_READS_RUNS ?? 25);
const QUERIES_PER_RUN = 6;

describe('compiled page reads', () => {
  it('answer byte for byte what the Prisma path answers, on random data, selections, filters and pages', async () => {
    let compiledRuns = 0;
    await fc.assert(
      fc.asyncProperty(
        dataArb.chain((data) => fc.tuple(fc.constant(data), fc.integer())),
        async ([data, salt]) => {
          const { officer, workers, courseIds } = await seed(data);
          const cases = fc.sample(caseArb({ courses: courseIds, workers: workers.map((w) => w.userId) }), {
            numRuns: QUERIES_PER_RUN,
            seed: salt,
          });
          for (const testCase of cases) {
            const actor = testCase.who === 'officer' ? officer : workers[0]!;
            const variables = { ...testCase.variables };
            // A worker may read only their own assignments: ask for them.
            if (testCase.who === 'worker' && 'userId' in variables) variables.userId = actor.userId;
            const prisma = await send(actor, testCase.query, variables, false);
            const compiled = await send(actor, testCase.query, variables, true);
            const where = `${testCase.query}\n${JSON.stringify(variables)}`;
            expect(prisma.ranCompiled, where).toBe(false);
            expect(compiled.status, where).toBe(prisma.status);
            expect(compiled.text, where).toBe(prisma.text);
            // A selection over the cost limit is refused before any resolver runs, the same on both paths.
            if (prisma.text.includes('"errors"')) {
              expect(prisma.text, where).toContain('exceeds the limit');
              continue;
            }
            compiledRuns++;
            expect(compiled.ranCompiled, where).toBe(testCase.compiles);
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    // Most selections ran (on both paths) rather than bouncing off the cost limit.
    expect(compiledRuns).toBeGreaterThan((RUNS * QUERIES_PER_RUN) / 2);
  }, 300_000);

  it('falls back to Prisma for what it does not compile (a cursor, a backwards page), with the same answer', async () => {
    const { officer } = await seed({
      courses: Array.from({ length: 5 }, (_, i) => ({
        title: `Course ${i}`,
        description: null,
        category: 'compliance',
        riskThreshold: '50.5',
        entityType: null,
        autoAssignEnabled: false,
        required: false,
        createdAt: INSTANTS[i % INSTANTS.length]!,
      })),
      assignments: [],
    });
    const firstPage = await send(officer, '{ trainingCourses(first: 2) { pageInfo { endCursor } } }', undefined, true);
    const after = (JSON.parse(firstPage.text) as { data: { trainingCourses: { pageInfo: { endCursor: string } } } })
      .data.trainingCourses.pageInfo.endCursor;
    for (const query of [
      `{ trainingCourses(first: 2, after: "${after}") { totalCount nodes { id title } } }`,
      '{ trainingCourses(last: 2) { totalCount nodes { id title } } }',
    ]) {
      const prisma = await send(officer, query, undefined, false);
      const compiled = await send(officer, query, undefined, true);
      expect(compiled.ranCompiled, query).toBe(false);
      expect(compiled.text, query).toBe(prisma.text);
    }
  });

  it('compiles only what it knows: any other field, relation, argument or filter leaves the field to Prisma', () => {
    const order = [{ createdAt: 'desc' }, { id: 'asc' }];
    const where = { AND: [{ tenantId: '00000000-0000-4000-8000-000000000000' }] };
    const page = (query: object, filter: unknown = where, table = COURSE_TABLE) =>
      compileJsonPage(table, { take: 51, skip: 0, ...query }, filter, order, true);
    expect(page({ select: { id: true, title: true } })).toBeDefined();
    expect(page({ select: { id: true, notAColumn: true } })).toBeUndefined();
    expect(page({ include: { assignments: true } })).toBeUndefined();
    expect(page({ select: { id: true }, cursor: { id: 'x' } })).toBeUndefined();
    expect(page({ select: { id: true }, take: -51 })).toBeUndefined();
    expect(page({ select: { id: true }, distinct: ['title'] })).toBeUndefined();
    expect(page({ select: { id: true } }, { NOT: { title: 'x' } })).toBeUndefined();
    expect(page({ select: { id: true } }, { title: { startsWith: 'x' } })).toBeUndefined();
    expect(page({ select: { id: true } }, { title: { contains: 'x', mode: 'insensitive' } })).toBeDefined();
    // Relations: mapped ones with a select (a to-many one only with an order), no others.
    const assignments = (select: object) => page({ select }, where, ASSIGNMENT_TABLE);
    expect(assignments({ id: true, course: { select: { id: true } } })).toBeDefined();
    expect(
      assignments({ completions: { select: { id: true }, orderBy: [{ completedAt: 'desc' }], take: 1 } }),
    ).toBeDefined();
    expect(assignments({ completions: { select: { id: true }, take: 1 } })).toBeUndefined();
    expect(assignments({ user: { select: { id: true } } })).toBeUndefined();
    expect(assignments({ course: { include: { completions: true } } })).toBeUndefined();
    expect(assignments({ course: { select: { id: true }, take: 1 } })).toBeUndefined();
  });

  it("limits each relation's subquery to the page's tenant by value (on Citus, one shard), else by the parent row", () => {
    const tenantId = '00000000-0000-4000-8000-000000000001';
    const select = {
      id: true,
      course: { select: { id: true } },
      completions: { select: { id: true }, orderBy: [{ completedAt: 'desc' }], take: 1 },
    };
    const compile = (where: unknown) =>
      compileJsonPage(ASSIGNMENT_TABLE, { take: 51, select }, where, [{ id: 'asc' }], false)!.sql;
    for (const where of [{ tenantId }, { AND: [{ userId: tenantId }, { AND: [{ tenantId }] }] }]) {
      const { text, values } = compile(where);
      expect(text).not.toContain('= p.tenant_id');
      for (const alias of ['j0', 'j1']) {
        const placeholder = new RegExp(`${alias}\\.tenant_id = \\$(\\d+)::uuid`).exec(text);
        expect(values[Number(placeholder?.[1]) - 1], `${alias} in ${text}`).toBe(tenantId);
      }
    }
    // A filter that names no single tenant (none here; an OR of two) keeps the correlation.
    for (const where of [{}, { OR: [{ tenantId }, { tenantId: randomUUID() }] }]) {
      expect(compile(where).sql.match(/j[01]\.tenant_id = p\.tenant_id/g)).toHaveLength(2);
    }
  });
});
