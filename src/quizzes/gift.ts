import { readAnswers } from './gift-answers.js';
import {
  GiftProblem,
  indexOfUnescaped,
  lastIndexOfUnescaped,
  tidy,
  tidyOrNull,
  unescapedPositions,
} from './gift-text.js';
import type { ImportProblem, QuestionDraft } from './question-draft.js';

/**
 * Reads Moodle's GIFT format into question drafts.
 *
 * Questions are separated by blank lines; lines starting with `//` are comments (a `[tag:name]` in the
 * comments of a question tags it, as Moodle's export writes). A question may start with a `::title::`
 * (GIFT's question name; the draft has no place for it) and its texts with a `[html]`, `[markdown]`,
 * `[plain]` or `[moodle]` marker (dropped, the text kept as written). `\~ \= \# \{ \} \: \\` stand for
 * the character itself and `\n` for a line break; a line break in the file is a space. A `$CATEGORY:`
 * line tags every question after it with the path's last segment (`$course$/top/forklift-basics` →
 * `forklift-basics`; a path to a context's top category clears the tag).
 *
 * The answer block `{…}` gives the kind (see gift-answers.ts), and `####` in it the general feedback.
 * Placed inside the text rather than at its end, the block leaves a blank `_____` (missing word).
 * GIFT has no points: every question is worth 1. Essays (`{}`) and descriptions (no block) have no
 * kind here and are reported as not supported. Each unreadable question is reported with the line its
 * text starts on, and the others are read on.
 */
export function parseGift(text: string): { questions: QuestionDraft[]; errors: ImportProblem[] } {
  const questions: QuestionDraft[] = [];
  const errors: ImportProblem[] = [];
  let categoryTag: string | null = null;
  for (const block of blocks(text)) {
    let lines = block.lines;
    if (lines[0]!.text.startsWith(CATEGORY)) {
      categoryTag = lastCategorySegment(lines[0]!.text.slice(CATEGORY.length));
      lines = lines.slice(1);
    }
    if (lines.length === 0) continue;
    const tags = [...new Set([...(categoryTag === null ? [] : [categoryTag]), ...commentTags(block.comments)])];
    try {
      questions.push({ ...readQuestion(lines.map((line) => line.text).join('\n'), tags), line: lines[0]!.number });
    } catch (error) {
      if (!(error instanceof GiftProblem)) throw error;
      errors.push({ line: lines[0]!.number, message: error.message });
    }
  }
  return { questions, errors };
}

const CATEGORY = '$CATEGORY:';
const COMMENT = '//';
const BLANK = '_____';
const GENERAL_FEEDBACK = '####';

interface Line {
  /** 1-based. */
  number: number;
  /** Trimmed. */
  text: string;
}

interface Block {
  /** The question's own lines (comments left out), at least one. */
  lines: Line[];
  comments: string[];
}

/** The file cut at its blank lines, each part's comment lines set apart; parts of comments only are skipped. */
function blocks(text: string): Block[] {
  const found: Block[] = [];
  let current: Block = { lines: [], comments: [] };
  const close = () => {
    if (current.lines.length > 0) found.push(current);
    current = { lines: [], comments: [] };
  };
  // trim() also drops a byte-order mark.
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') close();
    else if (line.startsWith(COMMENT)) current.comments.push(line);
    else current.lines.push({ number: index + 1, text: line });
  });
  close();
  return found;
}

/**
 * The last segment of a category path. Moodle writes a `/` inside a name as `//`, starts the path with a
 * context (`$course$`, `$system$`, …) and then the context's `top` category, which alone names no category.
 */
function lastCategorySegment(path: string): string | null {
  const segments: string[] = [];
  let segment = '';
  for (let at = 0; at < path.length; at++) {
    if (path[at] !== '/') segment += path[at];
    else if (path[at + 1] === '/') segment += path[at++];
    else {
      segments.push(segment);
      segment = '';
    }
  }
  const named = [...segments, segment]
    .map((name) => name.trim())
    .filter((name) => name !== '' && !/^\$\w+\$$/.test(name));
  if (named[0] === 'top') named.shift();
  return named.at(-1) ?? null;
}

/** `[tag:name]` in a question's comments (`\]` for a `]` in the name; a name never holds a `[`). */
function commentTags(comments: string[]): string[] {
  return comments.flatMap((comment) =>
    [...comment.matchAll(/\[tag:((?:\\\]|[^[\]])+)\]/g)]
      .map((found) => found[1]!.replaceAll('\\]', ']').trim())
      .filter((tag) => tag !== ''),
  );
}

function readQuestion(source: string, tags: string[]): QuestionDraft {
  const body = withoutTitle(source);
  const { open, close } = answerBlock(body);
  const inside = body.slice(open + 1, close);
  const feedbackAt = lastIndexOfUnescaped(inside, GENERAL_FEEDBACK);
  const answers = feedbackAt < 0 ? inside : inside.slice(0, feedbackAt);
  const generalFeedback = feedbackAt < 0 ? null : tidyOrNull(inside.slice(feedbackAt + GENERAL_FEEDBACK.length));

  const before = body.slice(0, open);
  const after = body.slice(close + 1);
  const text = tidy(after.trim() === '' ? before : `${before}${BLANK}${after}`);
  if (text === '') throw new GiftProblem('empty question text');

  return { ...readAnswers(answers.trim()), text, points: 1, tags, generalFeedback };
}

function withoutTitle(source: string): string {
  if (!source.startsWith('::')) return source;
  const end = indexOfUnescaped(source, '::', 2);
  if (end < 0) throw new GiftProblem("unknown syntax: the title opened with '::' is never closed");
  return source.slice(end + 2).trim();
}

/** Where the one answer block opens and closes. */
function answerBlock(body: string): { open: number; close: number } {
  const braces = unescapedPositions(body, '{}');
  const shape = braces.map((at) => body[at]).join('');
  if (shape === '{}') return { open: braces[0]!, close: braces[1]! };
  if (shape === '') throw new GiftProblem('not supported: description (text with no answer block)');
  if (shape === '{}'.repeat(shape.length / 2)) {
    throw new GiftProblem('more than one answer block (is a blank line missing between two questions?)');
  }
  if (shape.startsWith('}')) throw new GiftProblem("unbalanced braces: '}' without '{'");
  if (!shape.includes('}')) throw new GiftProblem("unbalanced braces: '{' is never closed");
  throw new GiftProblem("unbalanced braces: '{' inside an answer block or '}' outside one");
}
