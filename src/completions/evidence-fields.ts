import type { Prisma } from '../generated/prisma/client.js';
import { Assignment } from '../assignments/assignment.js';
import { builder } from '../core/builder.js';
import { databaseEnum } from '../core/enums.js';
import { MAX_ITEMS_EXTENSION } from '../core/query-cost.js';
import { User } from '../users/user.js';
import { COMPLETION_SOURCES, type CompletionSourceValue } from './complete-sql.js';
import { Completion } from './completion.js';
import { EVIDENCE_KINDS } from './evidence.js';

/** What a completion stood on (`Completion.source`, `Completion.evidence`) and an assignment's evidence so far. */

/** How many of an assignment's latest pieces of evidence `Assignment.evidence` shows. */
const ASSIGNMENT_EVIDENCE_SHOWN = 20;

export const CompletionSource = databaseEnum(
  'CompletionSource',
  COMPLETION_SOURCES,
  'What completed an assignment: SELF_REPORT (the result the assignee reported, for a course without ' +
    'requirements), QUIZ, CONTENT or PRACTICAL_EVALUATION (the evidence that met the last requirement), ' +
    'INTEGRATION (an external system, role service).',
);

interface EvidenceShape {
  kind: CompletionSourceValue;
  passed: boolean;
  score: number | null;
  recordedAt: Date;
  recordedBy: string | null;
  notes: string | null;
}

export const CompletionEvidence = builder.objectRef<EvidenceShape>('CompletionEvidence').implement({
  description: 'One piece of evidence: a quiz result, the content done, a practical evaluation or a reported result.',
  fields: (t) => ({
    kind: t.expose('kind', { type: CompletionSource }),
    passed: t.exposeBoolean('passed'),
    score: t.exposeFloat('score', { nullable: true, description: '0–100.' }),
    recordedAt: t.expose('recordedAt', { type: 'DateTime' }),
    recordedBy: t.field({
      type: User,
      nullable: true,
      description:
        'Who recorded it: the evaluator of a practical evaluation, whoever reported a result; null: the system.',
      resolve: (evidence) => (evidence.recordedBy ? { id: evidence.recordedBy } : null),
    }),
    notes: t.exposeString('notes', {
      nullable: true,
      description: "The evaluator's notes (Assignment.evidence; a retraction's reason).",
    }),
  }),
});

/** One entry of `training_completions.evidence`, as the database writes it. */
interface StoredEntry {
  kind: CompletionSourceValue;
  passed: boolean;
  score: number | null;
  recordedAt: string;
  recordedBy: string | null;
}

const fromSnapshot = (entries: Prisma.JsonValue): EvidenceShape[] =>
  (entries as unknown as StoredEntry[]).map((entry) => ({
    kind: entry.kind,
    passed: entry.passed,
    score: entry.score,
    recordedAt: new Date(entry.recordedAt),
    recordedBy: entry.recordedBy,
    notes: null,
  }));

builder.prismaObjectFields(Completion, (t) => ({
  source: t.field({
    type: CompletionSource,
    select: { source: true },
    resolve: (completion) => completion.source as CompletionSourceValue,
  }),
  evidence: t.field({
    type: [CompletionEvidence],
    description:
      'What it stood on, one entry per requirement met, oldest first, as recorded when it was written (an entry ' +
      'retracted since reads as not passed); a reported or integration result is its one entry.',
    // One entry per required kind at most (a reported result is one).
    extensions: { [MAX_ITEMS_EXTENSION]: EVIDENCE_KINDS.length },
    select: { evidence: true },
    resolve: (completion) => fromSnapshot(completion.evidence),
  }),
}));

builder.prismaObjectFields(Assignment, (t) => ({
  evidence: t.field({
    type: [CompletionEvidence],
    description:
      `The latest ${ASSIGNMENT_EVIDENCE_SHOWN} pieces of evidence recorded for this assignment, passed or failed, ` +
      'oldest first (practical evaluations with their notes); the latest of each kind counts.',
    extensions: { [MAX_ITEMS_EXTENSION]: ASSIGNMENT_EVIDENCE_SHOWN },
    select: {
      evidence: {
        select: { kind: true, passed: true, score: true, recordedAt: true, recordedBy: true, notes: true },
        orderBy: [{ recordedAt: 'desc' }, { id: 'desc' }],
        take: ASSIGNMENT_EVIDENCE_SHOWN,
      },
    },
    resolve: (assignment) =>
      assignment.evidence
        .map((row) => ({
          ...row,
          kind: row.kind as CompletionSourceValue,
          score: row.score === null ? null : Number(row.score),
        }))
        .reverse(),
  }),
}));
