import type { CompletionSourceValue } from '../completions/complete-sql.js';

/** What a certificate stood on, as the public may read it: the kinds, results, dates and who recorded each. */
export interface PublicEvidence {
  kind: CompletionSourceValue;
  passed: boolean;
  score: number | null;
  recordedAt: Date;
  /** The recorder's name as on the day it was recorded; null: the system, or not known. */
  recordedByName: string | null;
}

const LABELS: Record<CompletionSourceValue, string> = {
  self_report: 'Self-reported result',
  quiz: 'Quiz',
  content: 'Course content',
  practical_evaluation: 'Practical evaluation',
  integration: 'Result from an external system',
};

const day = (date: Date) => date.toISOString().slice(0, 10);

/** Whose name a line gives: the evaluator's, the integration's; a self-report is the holder's own. */
const NAMED: readonly CompletionSourceValue[] = ['practical_evaluation', 'integration'];

/**
 * One line per piece: "Quiz 85 % on 2026-12-01", "Practical evaluation by Sam Officer on 2026-12-02" (an
 * evaluation's own score is the evaluator's note, not a result to quote).
 */
export function evidenceLine(evidence: PublicEvidence): string {
  const score = evidence.kind === 'practical_evaluation' ? null : evidence.score;
  return [
    LABELS[evidence.kind],
    score === null ? null : `${Number(score.toFixed(2))} %`,
    NAMED.includes(evidence.kind) && evidence.recordedByName ? `by ${evidence.recordedByName}` : null,
    `on ${day(evidence.recordedAt)}`,
    evidence.passed ? null : '(no longer passing)',
  ]
    .filter((part) => part !== null)
    .join(' ');
}

/** The whole evidence in one sentence: "Quiz 85 % on 2026-12-01; practical evaluation by Sam Officer on …". */
export const evidenceSummary = (evidence: readonly PublicEvidence[]): string =>
  evidence
    .map(evidenceLine)
    .map((line, index) => (index === 0 ? line : line.charAt(0).toLowerCase() + line.slice(1)))
    .join('; ');
