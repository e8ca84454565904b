import { randomUUID } from 'node:crypto';
import { getOperationAST, parse, specifiedRules, validate, type DocumentNode } from 'graphql';
import type { Benchmark } from '../suite.js';
import { checkDocument } from '../../src/core/document-shape.js';
import { checkOperation, checkQueryText, DEFAULT_QUERY_LIMITS, parseOptionsOf } from '../../src/core/limits.js';
import { schema } from '../../src/schema.js';
import { fmt, median, table } from '../../tests/support/report.js';
import { OUR_ASSIGNMENTS, OUR_COURSES } from './index.js';

/**
 * The query limiter's overhead per request, limits on vs off, side by side in one run: the work
 * every request does before execution, parse and validate, with and without the limiter (text
 * nesting, token limit, the document's shape, `checkOperation`: arguments and cost). Runs in
 * process, no database: the limiter does no I/O, so its cost is this CPU time per request.
 */

const ROUNDS = Number(process.env.LIMITS_ROUNDS ?? 5);
const ITERATIONS = Number(process.env.LIMITS_ITERATIONS ?? 500);

const ENTITIES = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Course { id title category } } }`;
const SUBSCRIPTION = `subscription { trainingAssignmentCreated { id status course { id title } user { id displayName } } }`;

const CASES: { name: string; query: string; variables: Record<string, unknown> }[] = [
  { name: 'courses (HTTP benchmark query)', query: OUR_COURSES, variables: {} },
  { name: 'assignments (HTTP benchmark query)', query: OUR_ASSIGNMENTS, variables: { userId: randomUUID() } },
  {
    name: '`_entities`, 100 Course representations',
    query: ENTITIES,
    variables: { r: Array.from({ length: 100 }, () => ({ __typename: 'Course', id: randomUUID() })) },
  },
  { name: 'subscription (graphql-ws)', query: SUBSCRIPTION, variables: {} },
];

const limits = DEFAULT_QUERY_LIMITS;

function off(query: string): void {
  const document = parse(query);
  if (validate(schema, document, specifiedRules).length) throw new Error('invalid bench query');
}

function on(query: string, variables: Record<string, unknown>): void {
  checkQueryText(query, limits);
  const document: DocumentNode = parse(query, parseOptionsOf(limits));
  checkDocument(document, limits);
  if (validate(schema, document, specifiedRules).length) throw new Error('bench query refused');
  checkOperation(schema, document, getOperationAST(document)!, variables, limits);
}

/** The limiter's own work alone, on a document already parsed (what a cached document costs per request). */
function limiterAlone(query: string, document: DocumentNode, variables: Record<string, unknown>): void {
  checkQueryText(query, limits);
  checkDocument(document, limits);
  checkOperation(schema, document, getOperationAST(document)!, variables, limits);
}

/** Microseconds per request of `fn`, over ITERATIONS. */
function time(fn: () => void): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) fn();
  return Number(process.hrtime.bigint() - started) / 1_000 / ITERATIONS;
}

export const httpLimits: Benchmark = {
  name: 'http-limits',
  async run() {
    const rows: (string | number)[][] = [];
    for (const { name, query, variables } of CASES) {
      time(() => off(query));
      time(() => on(query, variables));
      const document = parse(query);
      const offs: number[] = [];
      const ons: number[] = [];
      const alone: number[] = [];
      // Interleaved, so drift in machine load hits both alike.
      for (let round = 0; round < ROUNDS; round++) {
        offs.push(time(() => off(query)));
        ons.push(time(() => on(query, variables)));
        alone.push(time(() => limiterAlone(query, document, variables)));
      }
      const [a, b, c] = [median(offs), median(ons), median(alone)];
      rows.push([name, fmt(a, 1), fmt(b, 1), fmt(b - a, 1), fmt(c, 1), `${fmt((c / a) * 100, 0)} %`]);
    }
    return `## Query limiter overhead: limits on vs off

Per request, the work before execution — parse and validate — without the limiter (graphql-js' own
rules) and with it (text nesting scan, token limit, the document's shape, \`checkOperation\`: cursors,
\`_entities\` representations, estimated cost), side by side in one process and one run: ${ROUNDS}
interleaved rounds of ${ITERATIONS} requests per case, medians. No database: the limiter does no I/O.
Apollo caches parsed and validated documents by query hash, the HTTP server remembers the texts whose
shape it checked and the graphql-ws server caches documents by text, so for a repeated query only
\`checkOperation\` (which needs the variables) runs per request: the
"on − off" column is an upper bound.

${table(['query', 'off µs/request', 'on µs/request', 'on − off µs', 'limiter alone µs', 'limiter / off'], rows)}

"Limiter alone" times just the limiter's work on an already parsed document, in the same rounds; the
on − off difference of two large, noisy timings can even come out negative on a loaded machine.

For scale: our API's median HTTP latency for the same two queries is in the milliseconds (see "HTTP
throughput" above), so the limiter is a small fraction of a request.`;
  },
};
