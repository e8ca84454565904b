import fc from 'fast-check';
import { ownerQuery } from './compiled-reads-fixtures.js';

/**
 * For plain-pages.test.ts: random selections, and random `trainingCourses` operations — every plain Course field, filters of every kind
 * (as a variable or a literal, refused ones too), searches with LIKE's wildcards, quotes and mixed case, pages
 * after a cursor, callers with no token — and the Course columns the shared seed leaves at their defaults.
 */

const COURSE_FIELDS = [
  'id',
  'title',
  'description',
  'category',
  'contentUrl',
  'durationMinutes',
  'difficultyLevel',
  'riskThreshold',
  'entityType',
  'autoAssignEnabled',
  'required',
  'expiryMonths',
  'issuesCertificate',
  'highRiskExpiryMonths',
  'rearmMargin',
  'leadDays',
  'escalateAfterDays',
  'recertifyDaysBefore',
  'createdAt',
  'updatedAt',
];

/** A selection of some of `fields`, each maybe under an alias, maybe with `__typename` among them. */
export const pick = (fields: string[]) =>
  fc
    .tuple(
      fc.subarray([...fields, '__typename'], { minLength: 1 }),
      fc.array(fc.boolean(), { minLength: fields.length + 1, maxLength: fields.length + 1 }),
    )
    .map(([chosen, aliased]) => chosen.map((field, i) => (aliased[i] ? `a${i}: ${field}` : field)).join(' '));

// LIKE's wildcards and escape, quotes, mixed case, blanks (no search), too long and NUL (both refused).
export const SEARCHES = [
  '%',
  '_',
  '\\',
  '100%_',
  'back\\s',
  "it's",
  '"quoted"',
  'FORK',
  'forkLIFT',
  'ö',
  'ÜNÏ',
  ' safe ',
  '',
  '   ',
  'x'.repeat(201),
  'a\u0000b',
];

const filterArb = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(undefined, null) },
  {
    weight: 6,
    arbitrary: fc.record(
      {
        category: fc.constantFrom('COMPLIANCE', 'OTHER', 'SAFETY_FUNDAMENTALS', null),
        autoAssignEnabled: fc.constantFrom(true, false, null),
        entityType: fc.constantFrom('ZONE', 'WORKER', 'GENERAL', 'DRIVER', null),
        required: fc.constantFrom(true, false, null),
        search: fc.oneof(fc.constantFrom(...SEARCHES), fc.string({ maxLength: 3 }), fc.constant(null)),
      },
      { requiredKeys: [] },
    ),
  },
  // Refused by graphql-js: an unknown enum value, a value of the wrong type, an unknown field.
  { weight: 1, arbitrary: fc.constantFrom({ category: 'NOPE' }, { required: 'yes' }, { colour: 'red' }) },
);

export const courseCaseArb = fc.record({
  who: fc.constantFrom<'officer' | 'worker' | 'nobody'>('officer', 'officer', 'worker', 'nobody'),
  first: fc.oneof(fc.constantFrom(null, 1, 3, 10, 50), fc.constantFrom<number | string>(0, -1, 501, 'x')),
  filter: filterArb,
  literal: fc.boolean(),
  // The cursor of the tenant's n-th course, or one graphql-js refuses.
  after: fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, 3, 'bad') },
  ),
  nodes: pick(COURSE_FIELDS),
  totalCount: fc.constantFrom('', 'totalCount', 't: totalCount'),
  typename: fc.boolean(),
  fallback: fc.oneof(
    { arbitrary: fc.constant('none'), weight: 10 },
    {
      arbitrary: fc.constantFrom(
        'fragment',
        'inline',
        'include',
        'skip',
        'pageInfo',
        'edges',
        'typenameRoot',
        'requirements',
        'createdBy',
      ),
      weight: 6,
    },
  ),
});
type CourseCase = typeof courseCaseArb extends fc.Arbitrary<infer T> ? T : never;

/** A filter as a GraphQL literal (enum values bare, strings as JSON writes them, which GraphQL reads alike). */
function literalOf(filter: Record<string, unknown> | null): string {
  if (filter === null) return 'null';
  const enums = new Set(['category', 'entityType']);
  const fields = Object.entries(filter).map(
    ([key, value]) => `${key}: ${enums.has(key) && typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  return `{ ${fields.join(', ')} }`;
}

/** The operation, its variables and whether nothing in it is left to graphql-js by its shape or arguments. */
export function courseOperationOf(testCase: CourseCase, cursors: string[]) {
  const { fallback } = testCase;
  let nodes = [
    testCase.nodes,
    fallback === 'requirements' ? 'requirements { quiz }' : '',
    fallback === 'createdBy' ? 'createdBy { id }' : '',
    fallback === 'include' ? 'title2: title @include(if: $yes)' : '',
    fallback === 'skip' ? 'title3: title @skip(if: $yes)' : '',
  ].join(' ');
  if (fallback === 'inline') nodes = `... on Course { ${nodes} }`;
  const fragment = fallback === 'fragment' ? `fragment Parts on Course { ${nodes} }` : '';
  if (fallback === 'fragment') nodes = '...Parts';
  const connection = [
    testCase.totalCount,
    testCase.typename ? '__typename' : '',
    `nodes { ${nodes} }`,
    fallback === 'pageInfo' ? 'pageInfo { hasNextPage endCursor }' : '',
    fallback === 'edges' ? 'edges { cursor }' : '',
  ].join(' ');
  const directive = fallback === 'include' || fallback === 'skip';
  const args = ['first: $first'];
  const definitions = ['$first: Int', ...(directive ? ['$yes: Boolean!'] : [])];
  const variables: Record<string, unknown> = { first: testCase.first, ...(directive ? { yes: true } : {}) };
  if (testCase.filter !== undefined && testCase.literal) {
    args.push(`filter: ${literalOf(testCase.filter)}`);
  } else if (testCase.filter !== undefined) {
    args.push('filter: $filter');
    definitions.push('$filter: CourseFilter');
    variables.filter = testCase.filter;
  }
  if (testCase.after !== null) {
    args.push('after: $after');
    definitions.push('$after: String');
    variables.after = typeof testCase.after === 'number' ? cursors[testCase.after % cursors.length] : testCase.after;
  }
  const root = `trainingCourses(${args.join(', ')}) { ${connection} }`;
  const query = `query Page(${definitions.join(', ')}) { ${fallback === 'typenameRoot' ? '__typename ' : ''}${root} } ${fragment}`;
  const plainSize =
    testCase.first === null || (typeof testCase.first === 'number' && testCase.first >= 1 && testCase.first <= 500);
  // Fragments on Course and `createdBy { id }` are the fast path's too.
  const plainVariant = ['none', 'fragment', 'inline', 'createdBy'].includes(fallback);
  const plainShape = plainVariant && plainSize && testCase.after === null && testCase.who !== 'nobody';
  return { query, variables, plainShape };
}

/** Values for the Course columns the shared seed leaves at their defaults, one per seeded course. */
export const courseExtrasArb = fc.array(
  fc.record({
    contentUrl: fc.constantFrom(null, 'https://example.com/a?b=c&d="e"'),
    durationMinutes: fc.constantFrom(null, 1, 90),
    difficultyLevel: fc.constantFrom(null, 'beginner', 'advanced'),
    expiryMonths: fc.constantFrom(null, 6, 24),
    highRisk: fc.boolean(),
    rearmMargin: fc.constantFrom(null, '0', '7.10', '33.333333333333', '100'),
    leadDays: fc.constantFrom(null, 1, 365),
    escalateAfterDays: fc.constantFrom(null, 1, 3650),
    issuesCertificate: fc.boolean(),
    recertifyDaysBefore: fc.constantFrom(null, 0, 30),
  }),
  { minLength: 8, maxLength: 8 },
);

export async function setCourseExtras(
  tenantId: string,
  courseIds: string[],
  extras: (typeof courseExtrasArb extends fc.Arbitrary<infer T> ? T : never)[number][],
) {
  const rows = courseIds.map((id, i) => {
    const extra = extras[i % extras.length]!;
    return {
      id,
      content_url: extra.contentUrl,
      duration_minutes: extra.durationMinutes,
      difficulty_level: extra.difficultyLevel,
      expiry_months: extra.expiryMonths,
      // At most expiryMonths, and only with it (a CHECK).
      high_risk_expiry_months: extra.highRisk && extra.expiryMonths ? Math.min(3, extra.expiryMonths) : null,
      rearm_margin: extra.rearmMargin,
      lead_days: extra.leadDays,
      escalate_after_days: extra.escalateAfterDays,
      issues_certificate: extra.issuesCertificate,
      recertify_days_before: extra.recertifyDaysBefore,
    };
  });
  await ownerQuery(
    `UPDATE training_courses c SET content_url = x.content_url, duration_minutes = x.duration_minutes,
       difficulty_level = x.difficulty_level, expiry_months = x.expiry_months,
       high_risk_expiry_months = x.high_risk_expiry_months, rearm_margin = x.rearm_margin::numeric,
       lead_days = x.lead_days, escalate_after_days = x.escalate_after_days, issues_certificate = x.issues_certificate,
       recertify_days_before = x.recertify_days_before
     FROM json_to_recordset($2::json) AS x(id uuid, content_url text, duration_minutes int, difficulty_level text,
       expiry_months int, high_risk_expiry_months int, rearm_margin text, lead_days int, escalate_after_days int,
       issues_certificate boolean, recertify_days_before int)
     WHERE c.tenant_id = $1::uuid AND c.id = x.id`,
    [tenantId, JSON.stringify(rows)],
  );
}
