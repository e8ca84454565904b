/**
 * The lexical layer of the GIFT reader: finding GIFT's control characters while skipping escaped ones,
 * and turning a raw piece of a question into its display text.
 */

/** What a backslash escapes in GIFT. Any other backslash is literal text, so LaTeX such as `\(x\)` stays as written. */
const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  ':': ':',
  '#': '#',
  '=': '=',
  '{': '{',
  '}': '}',
  '~': '~',
  n: '\n',
};

const ESCAPE_SEQUENCE = /\\([\\:#={}~n])/g;

/** Moodle's text-format markers; the reader keeps the text and drops the marker. */
const FORMAT_MARKER = /^\[(?:html|markdown|plain|moodle)\]/;

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A weight written right after an answer's marker, as in `~%-50%` or `=%33.3%`. */
const WEIGHT = /^%(-?\d+(?:\.\d+)?)%/;

/** Why one question could not be read; the reader reports it with the question's first line. */
export class GiftProblem extends Error {}

function isEscape(text: string, at: number): boolean {
  return text[at] === '\\' && Object.hasOwn(ESCAPES, text[at + 1] ?? '');
}

/** Where `token` first occurs unescaped in `text` at or after `from`; -1 when it does not. */
export function indexOfUnescaped(text: string, token: string, from = 0): number {
  for (let at = from; at < text.length; at++) {
    if (isEscape(text, at)) at++;
    else if (text.startsWith(token, at)) return at;
  }
  return -1;
}

/** Where `token` last occurs unescaped in `text`; -1 when it does not. */
export function lastIndexOfUnescaped(text: string, token: string): number {
  let last = -1;
  for (let at = indexOfUnescaped(text, token); at >= 0; at = indexOfUnescaped(text, token, at + 1)) last = at;
  return last;
}

/** Each unescaped occurrence of any of `characters` in `text`, in order. */
export function unescapedPositions(text: string, characters: string): number[] {
  const found: number[] = [];
  for (let at = 0; at < text.length; at++) {
    if (isEscape(text, at)) at++;
    else if (characters.includes(text[at]!)) found.push(at);
  }
  return found;
}

export interface MarkedPart {
  marker: string;
  body: string;
}

/**
 * An answer block cut at each unescaped marker character (`=`, `~`): the text before the first marker
 * (`lead`, which a well-formed block leaves blank) and each marker with the raw text up to the next.
 */
export function splitMarked(text: string, markers: string): { lead: string; parts: MarkedPart[] } {
  const cuts = unescapedPositions(text, markers);
  const parts = cuts.map((at, index) => ({ marker: text[at]!, body: text.slice(at + 1, cuts[index + 1]) }));
  return { lead: text.slice(0, cuts[0] ?? text.length), parts };
}

/** `text` cut at its first unescaped `#`: what comes before, and the raw feedback after (null without one). */
export function splitFeedback(text: string): { head: string; feedback: string | null } {
  const hash = indexOfUnescaped(text, '#');
  return hash < 0 ? { head: text, feedback: null } : { head: text.slice(0, hash), feedback: text.slice(hash + 1) };
}

/** An answer's leading `%weight%` (percent of the points) and the rest of it; weight null when none is written. */
export function readWeight(body: string): { weight: number | null; rest: string } {
  const trimmed = body.trimStart();
  const written = WEIGHT.exec(trimmed);
  if (!written) return { weight: null, rest: trimmed };
  const weight = Number(written[1]);
  if (weight < -100 || weight > 100) throw new GiftProblem(`bad weight '${written[0]}': weights go from -100% to 100%`);
  return { weight, rest: trimmed.slice(written[0].length) };
}

/**
 * The display text of a raw piece: runs of white space (line breaks included, as GIFT wraps long lines)
 * become one space, a leading format marker goes, escapes are resolved (`\n` is a line break), and the
 * ends are trimmed.
 */
export function tidy(raw: string): string {
  const collapsed = raw.replace(/\s+/g, ' ').trim().replace(FORMAT_MARKER, '');
  return collapsed
    .replace(ESCAPE_SEQUENCE, (_, character: string) => ESCAPES[character]!)
    .replace(/ *\n */g, '\n')
    .trim();
}

/** `tidy`, with null for nothing left (feedback that is absent or blank). */
export function tidyOrNull(raw: string | null): string | null {
  const text = raw === null ? '' : tidy(raw);
  return text === '' ? null : text;
}

export function parseNumber(raw: string): number {
  const written = raw.trim();
  if (!NUMBER.test(written)) throw new GiftProblem(`bad number: '${written}'`);
  return Number(written);
}

/** Drops the binary rounding noise of arithmetic on decimals (0.3 - 0.1 is 0.19999999999999998). */
export function roundDecimal(value: number): number {
  return Number(value.toPrecision(12));
}

/** A short quote of a raw piece for an error message. */
export function quote(raw: string): string {
  const text = raw.replace(/\s+/g, ' ').trim();
  return `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
}
