import type { CompletionSourceValue } from '../completions/complete-sql.js';
import { formatDate, formatNumber } from '../core/i18n/index.js';
import { t, type CertificateText } from './text.js';

/** What a certificate stood on, as the public may read it: the kinds, results, dates and who recorded each. */
export interface PublicEvidence {
  kind: CompletionSourceValue;
  passed: boolean;
  score: number | null;
  recordedAt: Date;
  /** The recorder's name as on the day it was recorded; null: the system, or not known. */
  recordedByName: string | null;
}

/** Whose name a line gives: the evaluator's, the integration's; a self-report is the holder's own. */
const NAMED: readonly CompletionSourceValue[] = ['practical_evaluation', 'integration'];

/**
 * One line per piece in the reader's language: "Quiz 85 % on December 1, 2026", "Practical evaluation by Sam
 * Officer on December 2, 2026" (an evaluation's own score is the evaluator's note, not a result to quote).
 */
export function evidenceLine(text: CertificateText, evidence: PublicEvidence): string {
  const score = evidence.kind === 'practical_evaluation' ? null : evidence.score;
  return [
    t(text, `evidenceKind.${evidence.kind}`),
    score === null ? null : `${formatNumber(text.locale, Number(score.toFixed(2)))} %`,
    NAMED.includes(evidence.kind) && evidence.recordedByName
      ? t(text, 'evidenceBy', { name: evidence.recordedByName })
      : null,
    t(text, 'evidenceOn', { date: formatDate(text.locale, evidence.recordedAt) }),
    evidence.passed ? null : t(text, 'evidenceNotPassing'),
  ]
    .filter((part) => part !== null)
    .join(' ');
}

/** The whole evidence in one sentence: "Quiz 85 % on …; practical evaluation by Sam Officer on …". */
export const evidenceSummary = (text: CertificateText, evidence: readonly PublicEvidence[]): string =>
  evidence
    .map((entry) => evidenceLine(text, entry))
    .map((line, index) => (index === 0 ? line : line.charAt(0).toLocaleLowerCase(text.locale) + line.slice(1)))
    .join('; ');
