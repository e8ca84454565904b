import { describe, expect, it } from 'vitest';
import { parseGift } from '../../src/quizzes/gift.js';

/**
 * What the GIFT reader refuses, and how: each unreadable question becomes one problem naming the line
 * its text starts on, and the questions around it are still read. Large and hostile files are read in
 * one pass (a quadratic reading of the inputs below would not finish within the test's time limit).
 */

/** The message of the one problem `text` holds; no question may be read from it. */
function refusal(text: string): string {
  const { questions, errors } = parseGift(text);
  expect(questions).toEqual([]);
  expect(errors).toHaveLength(1);
  expect(errors[0]!.line).toBe(1);
  return errors[0]!.message;
}

describe('refused questions', () => {
  it('reports essays and descriptions as not supported', () => {
    expect(refusal('Describe your last near miss.{}')).toBe('not supported: essay question (an empty answer block)');
    expect(refusal('Describe it.{####We read every answer.}')).toBe(
      'not supported: essay question (an empty answer block)',
    );
    expect(refusal('::Intro:: The next questions are about ladders.')).toBe(
      'not supported: description (text with no answer block)',
    );
  });

  it('reports unbalanced braces and a second answer block', () => {
    expect(refusal('Open?{=yes ~no')).toBe("unbalanced braces: '{' is never closed");
    expect(refusal('Closed?=yes ~no}')).toBe("unbalanced braces: '}' without '{'");
    expect(refusal('Nested?{=a {b} ~c}')).toBe("unbalanced braces: '{' inside an answer block or '}' outside one");
    expect(refusal('Stray?{=a ~b} and }')).toBe("unbalanced braces: '{' inside an answer block or '}' outside one");
    expect(refusal('First?{T}\nSecond?{F}')).toBe(
      'more than one answer block (is a blank line missing between two questions?)',
    );
  });

  it('reports a question with no right answer', () => {
    expect(refusal('Which?{~a ~b ~c}')).toBe(
      "no right answer: mark one with '=' or give right answers weights such as '~%50%'",
    );
    expect(refusal('Which?{~%-50%a ~b}')).toContain('no right answer');
    expect(refusal('Name it.{=%50%almost}')).toBe('no right answer: no answer is worth 100%');
    expect(refusal('How far?{#=%50%3:1}')).toBe('no right answer: no number is worth 100%');
    expect(refusal('How far?{#}')).toBe("a numeric question needs a number after '#'");
  });

  it('reports weights that do not add up or do not fit', () => {
    expect(refusal('Which?{~%50%a ~%25%b ~c}')).toBe("the right answers' weights add up to 75%, not 100%");
    expect(refusal('Which?{=%50%a ~b}')).toBe("the right answers' weights add up to 50%, not 100%");
    expect(refusal('Which?{=a =b ~%50%c}')).toBe("the right answers' weights add up to 150%, not 100%");
    expect(refusal('Which?{=a ~%150%b}')).toBe("bad weight '%150%': weights go from -100% to 100%");
  });

  it('reports empty text and empty answers', () => {
    expect(refusal('{=a ~b}')).toBe('empty question text');
    expect(refusal('::Only a title::{T}')).toBe('empty question text');
    expect(refusal('Which?{=a ~ ~b}')).toBe("empty answer after '~'");
    expect(refusal('Which?{=#feedback only ~b}')).toBe("empty answer after '='");
  });

  it('reports bad numbers, ranges and tolerances', () => {
    expect(refusal('How many?{#two}')).toBe("bad number: 'two'");
    expect(refusal('How many?{#2,5}')).toBe("bad number: '2,5'");
    expect(refusal('How many?{#2:}')).toBe("bad number: ''");
    expect(refusal('How many?{#5..1}')).toBe("bad range: '5..1' (the smaller number comes first)");
    expect(refusal('How many?{#5:-1}')).toBe("bad tolerance: '5:-1' (a tolerance is not negative)");
    expect(refusal('How many?{#=5 =%50%x}')).toBe("bad number: 'x'");
    expect(refusal('How many?{#=5 =6}')).toBe('not supported: more than one numeric answer worth 100%');
  });

  it('reports syntax it does not know', () => {
    expect(refusal('Say it.{yes}')).toBe(
      "unknown syntax: 'yes' before the first answer (answers start with '=' or '~')",
    );
    expect(refusal('Which?{maybe =a ~b}')).toContain("unknown syntax: 'maybe'");
    expect(refusal('Match.{=a -> 1 =b -> 2 =c}')).toBe("unknown syntax: the matching pair '=c' has no '->'");
    expect(refusal('Match.{=a -> 1 =b ->}')).toBe("the matching pair '=b ->' has nothing after '->'");
    expect(refusal('How many?{#5 ~6}')).toBe("unknown syntax: '~6' (in a numeric block '~' only takes '#feedback')");
    expect(refusal('::Untitled {T}')).toBe("unknown syntax: the title opened with '::' is never closed");
  });

  it('reports too few answers', () => {
    expect(refusal('Which?{~%100%only}')).toBe('a multiple-choice question needs at least 2 answers');
    expect(refusal('Match.{=a -> 1 = -> 2}')).toBe('a matching question needs at least 2 pairs');
  });
});

describe('a file with good and bad questions', () => {
  const file = [
    '// Forklift module', //  1
    '$CATEGORY: $course$/top/forklift', //  2
    '', //  3
    'Good one?{T}', //  4
    '', //  5
    '// an essay slipped in', //  6
    '::E::Explain.{}', //  7
    '', //  8
    'Multi-line and', //  9
    'never closed {', // 10
    '  =a', // 11
    '', // 12
    '  ~b }', // 13
    '', // 14
    'Good two?{#3..5}', // 15
    '', // 16
    'Bad number?{#abc}', // 17
    '$CATEGORY: $course$/top/ladders', // 18 (inside a question: its text, not a category)
    '', // 19
    '$CATEGORY: $course$/top/ladders', // 20
    'Good three?{=a ~b}', // 21
  ].join('\n');

  it('reports each bad question at the line its text starts, and reads the others', () => {
    const { questions, errors } = parseGift(file);
    expect(errors).toEqual([
      { line: 7, message: 'not supported: essay question (an empty answer block)' },
      { line: 9, message: "unbalanced braces: '{' is never closed" },
      { line: 13, message: "unbalanced braces: '}' without '{'" },
      { line: 17, message: "bad number: 'abc'" },
    ]);
    expect(questions.map((q) => [q.text, q.kind, q.tags])).toEqual([
      ['Good one?', 'TRUE_FALSE', ['forklift']],
      ['Good two?', 'NUMERIC', ['forklift']],
      ['Good three?', 'SINGLE_CHOICE', ['ladders']],
    ]);
  });
});

describe('large and hostile files', () => {
  const KINDS = [
    ['Pick one?{=a ~b ~c}', 'SINGLE_CHOICE'],
    ['Pick two?{~%50%a ~%50%b ~%-100%c}', 'MULTIPLE_CHOICE'],
    ['True?{T#no#yes}', 'TRUE_FALSE'],
    ['Name?{=x =y}', 'SHORT_ANSWER'],
    ['Match?{=a -> 1 =b -> 2 =c -> 3}', 'MATCHING'],
    ['Number?{#1..3}', 'NUMERIC'],
  ] as const;

  it('reads 2,000 questions (every 50th broken) with every kind counted and every error at its line', () => {
    const lines: string[] = [];
    const expectedErrorLines: number[] = [];
    for (let index = 0; index < 2000; index++) {
      if (index % 100 === 0) lines.push(`$CATEGORY: $course$/top/part-${index / 100}`);
      lines.push(`// question ${index}`);
      if (index % 50 === 49) {
        expectedErrorLines.push(lines.length + 1);
        lines.push(`Broken ${index}?{=a ~b`);
      } else {
        lines.push(`Q${index} ${KINDS[index % KINDS.length]![0]}`);
      }
      lines.push('');
    }
    const { questions, errors } = parseGift(lines.join('\n'));

    expect(questions).toHaveLength(1960);
    expect(errors.map((error) => error.line)).toEqual(expectedErrorLines);
    expect(new Set(errors.map((error) => error.message))).toEqual(new Set(["unbalanced braces: '{' is never closed"]));
    const perKind = Object.fromEntries(
      KINDS.map(([, kind]) => [kind, questions.filter((q) => q.kind === kind).length]),
    );
    const expectedPerKind = Object.fromEntries(KINDS.map(([, kind]) => [kind, 0]));
    for (let index = 0; index < 2000; index++) {
      if (index % 50 !== 49) expectedPerKind[KINDS[index % KINDS.length]![1]]! += 1;
    }
    expect(perKind).toEqual(expectedPerKind);
    expect(questions.at(-1)!.tags).toEqual(['part-19']);
  });

  it('reads one question with 100,000 choices and a megabyte of escapes in one pass', () => {
    const choices = Array.from({ length: 100_000 }, (_, index) => (index === 0 ? '=right' : `~wrong ${index}`));
    expect(parseGift(`Which?{${choices.join(' ')}}`).questions[0]!.choices).toHaveLength(100_000);

    const escaped = parseGift(`${'\\{'.repeat(500_000)}{T}`).questions[0]!;
    expect(escaped.text).toHaveLength(500_000);
  });

  it('refuses hostile runs of markers without slowing down', () => {
    expect(parseGift(`Braces?${'{'.repeat(300_000)}`).errors).toHaveLength(1);
    expect(parseGift(`Blocks?${'{T}'.repeat(300_000)}`).errors[0]!.message).toContain('more than one answer block');
    expect(parseGift(`Hashes?{T${'#'.repeat(300_000)}}`).questions).toHaveLength(1);
    expect(parseGift(`Weight?{~%${'1'.repeat(300_000)}x ~=b}`).errors).toHaveLength(1);
    expect(parseGift(`// ${'[tag:a '.repeat(200_000)}\nTagged?{T}`).questions[0]!.tags).toEqual([]);
    expect(parseGift(`Spaces?${' \\n '.repeat(300_000)}{T}`).questions[0]!.text).toBe('Spaces?');
  });
});
