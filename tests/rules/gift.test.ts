import { describe, expect, it } from 'vitest';
import { parseGift } from '../../src/quizzes/gift.js';
import type { QuestionDraft } from '../../src/quizzes/question-draft.js';

/**
 * The GIFT reader on what a file may hold, one feature at a time: the question kinds with their weights
 * and feedback, and what surrounds them (comments, titles, format markers, escapes, categories). The
 * examples follow Moodle's documentation of the format, rewritten for safety training.
 */

/** The one question `text` holds, failing on any error. */
function only(text: string): QuestionDraft {
  const { questions, errors } = parseGift(text);
  expect(errors).toEqual([]);
  expect(questions).toHaveLength(1);
  return questions[0]!;
}

const choice = (text: string, credit: number, feedback: string | null = null) => ({ text, credit, feedback });
const NO_ANSWERS = { acceptedAnswers: [], numericAnswer: null, tolerance: null };

describe('multiple choice', () => {
  it('reads one = answer as a single-choice question, with per-answer and general feedback, worth 1 point', () => {
    expect(
      only(
        'Which class of fire is a grease fire?{~A#That is ordinary combustibles. =K#Right! ~C ####Kitchen fires are K.}',
      ),
    ).toEqual({
      kind: 'SINGLE_CHOICE',
      text: 'Which class of fire is a grease fire?',
      points: 1,
      tags: [],
      choices: [choice('A', 0, 'That is ordinary combustibles.'), choice('K', 100, 'Right!'), choice('C', 0)],
      ...NO_ANSWERS,
      generalFeedback: 'Kitchen fires are K.',
      line: 1,
    });
  });

  it('keeps partial credit written on the wrong choices of a single-choice question', () => {
    const question = only('Best first step at a spill?{=Stop the work ~%50%Call the supervisor ~Walk away}');
    expect(question.kind).toBe('SINGLE_CHOICE');
    expect(question.choices.map((c) => c.credit)).toEqual([100, 50, 0]);
  });

  it('reads ~%weight% answers as a multiple-choice question, negative weights included', () => {
    const question = only('Which two are PPE?{~%50%Hard hat#Yes ~%50%Safety boots ~%-100%Coffee mug#No ~%-50%Radio}');
    expect(question.kind).toBe('MULTIPLE_CHOICE');
    expect(question.choices).toEqual([
      choice('Hard hat', 50, 'Yes'),
      choice('Safety boots', 50),
      choice('Coffee mug', -100, 'No'),
      choice('Radio', -50),
    ]);
  });

  it('reads several = answers as a multiple-choice question sharing 100% equally', () => {
    expect(only('Pick both.{=Gloves =Goggles ~Sandals}').choices.map((c) => c.credit)).toEqual([50, 50, 0]);
    const thirds = only('Pick all three.{=Gloves =Goggles =Boots ~Sandals}');
    expect(thirds.kind).toBe('MULTIPLE_CHOICE');
    expect(thirds.choices.map((c) => c.credit)).toEqual([33.33333, 33.33333, 33.33333, 0]);
  });

  it('accepts decimal weights that add up to 100% as Moodle writes them', () => {
    const question = only('Pick three.{~%33.33333%a ~%33.33333%b ~%33.33333%c ~%-100%d}');
    expect(question.choices.map((c) => c.credit)).toEqual([33.33333, 33.33333, 33.33333, -100]);
  });

  it('accepts right answers adding up to 100% within 0.01%, and no further', () => {
    expect(only('Pick three.{~%33.33%a ~%33.33%b ~%33.33%c ~d}').kind).toBe('MULTIPLE_CHOICE');
    const { errors } = parseGift('Pick two.{~%49.98%a ~%50%b ~c}');
    expect(errors).toEqual([{ line: 1, message: "the right answers' weights add up to 99.98%, not 100%" }]);
  });

  it('reads answers written one per line and indented', () => {
    const question = only(
      ['The hierarchy of controls starts with {', '    ~ %25% PPE', '    =elimination', '} of the hazard.'].join('\n'),
    );
    expect(question.text).toBe('The hierarchy of controls starts with _____ of the hazard.');
    expect(question.choices).toEqual([choice('PPE', 25), choice('elimination', 100)]);
  });
});

describe('true/false', () => {
  it('reads T, TRUE, F and FALSE (in any case) with the choices "True" and "False"', () => {
    for (const [answer, rightIsTrue] of [
      ['T', true],
      ['TRUE', true],
      ['F', false],
      ['FALSE', false],
      ['true', true],
      ['f', false],
    ] as const) {
      const question = only(`Hearing protection is needed above 85 dB.{${answer}}`);
      expect(question.kind).toBe('TRUE_FALSE');
      expect(question.choices).toEqual([choice('True', rightIsTrue ? 100 : 0), choice('False', rightIsTrue ? 0 : 100)]);
    }
  });

  it('gives the first feedback to the wrong choice and the second to the right one', () => {
    const question = only(
      'A ladder may stand on a pallet.{FALSE#Never: it can slip.#Right, use firm ground.####See the ladder rules.}',
    );
    expect(question.choices).toEqual([
      choice('True', 0, 'Never: it can slip.'),
      choice('False', 100, 'Right, use firm ground.'),
    ]);
    expect(question.generalFeedback).toBe('See the ladder rules.');
  });

  it('takes the general feedback from the last ####, as Moodle does', () => {
    expect(only('Ladder on a pallet?{=No#Right####never ~Yes ####See the rules.}')).toMatchObject({
      choices: [choice('No', 100, 'Right####never'), choice('Yes', 0)],
      generalFeedback: 'See the rules.',
    });
  });
});

describe('short answer', () => {
  it('accepts every = answer, ignoring per-answer feedback, each answer once', () => {
    expect(
      only('What does PPE stand for?{=personal protective equipment#Yes =PPE kit =personal protective equipment}'),
    ).toEqual({
      kind: 'SHORT_ANSWER',
      text: 'What does PPE stand for?',
      points: 1,
      tags: [],
      choices: [],
      acceptedAnswers: ['personal protective equipment', 'PPE kit'],
      numericAnswer: null,
      tolerance: null,
      generalFeedback: null,
      line: 1,
    });
  });

  it('accepts only the answers worth 100%', () => {
    expect(only('Name the gas.{=%100%carbon monoxide =%50%CO2 =%100%CO}').acceptedAnswers).toEqual([
      'carbon monoxide',
      'CO',
    ]);
  });
});

describe('matching', () => {
  it('reads each pair as an item with its match, worth an equal share', () => {
    const question = only(
      'Match each sign to its meaning.{=Blue circle -> Mandatory =Red circle -> Prohibition =Green square -> Safe condition}',
    );
    expect(question.kind).toBe('MATCHING');
    expect(question.choices).toEqual([
      { ...choice('Blue circle', 33.33333), matchText: 'Mandatory' },
      { ...choice('Red circle', 33.33333), matchText: 'Prohibition' },
      { ...choice('Green square', 33.33333), matchText: 'Safe condition' },
    ]);
  });

  it('takes 2 pairs, and keeps a distractor (no item) as a choice with empty text and no credit', () => {
    const question = only('Match.{=Class A -> Wood =Class B -> Petrol = -> Metal}');
    expect(question.choices).toEqual([
      { ...choice('Class A', 50), matchText: 'Wood' },
      { ...choice('Class B', 50), matchText: 'Petrol' },
      { ...choice('', 0), matchText: 'Metal' },
    ]);
  });
});

describe('numeric', () => {
  const numeric = (text: string) => {
    const question = only(text);
    expect(question.kind).toBe('NUMERIC');
    expect(question.choices).toEqual([]);
    return [question.numericAnswer, question.tolerance];
  };

  it('reads an answer with and without a tolerance', () => {
    expect(numeric('Max load in tonnes?{#2.5:0.1}')).toEqual([2.5, 0.1]);
    expect(numeric('How many exits?{#4}')).toEqual([4, 0]);
    expect(numeric('Charge in coulombs?{#-1.6e-19:1E-20}')).toEqual([-1.6e-19, 1e-20]);
  });

  it('reads a range as its middle, give or take half its width', () => {
    expect(numeric('Safe distance in metres?{#1..3}')).toEqual([2, 1]);
    expect(numeric('Air gap?{#0.1..0.3}')).toEqual([0.2, 0.1]);
    expect(numeric('Freezer temperature?{#-25..-15#Brr}')).toEqual([-20, 5]);
  });

  it('keeps the answer worth 100% among partly right ones, and reads past feedback for other answers', () => {
    expect(numeric('Year of the act?{#=1974:0#Exactly =%50%1974:2#Close ~#Look it up ####HSWA.}')).toEqual([1974, 0]);
    expect(numeric('Year?{# =%50%1970..1980 =1974}')).toEqual([1974, 0]);
  });
});

describe('question text', () => {
  it('leaves a blank where the answer block sits inside the text (missing word)', () => {
    expect(only('Always {=lock ~leave} out the machine.').text).toBe('Always _____ out the machine.');
    expect(only('{=Lock ~Leave} out the machine first.').text).toBe('_____ out the machine first.');
    expect(only('Lock out the machine first?  {T}  ').text).toBe('Lock out the machine first?');
  });

  it('drops a title and a format marker from the text, and markers from answers and feedback', () => {
    expect(
      only('::Fire 1::[html]<p>Use <b>which</b> extinguisher?</p>{=[plain]CO2#[markdown]*yes* ~Water}'),
    ).toMatchObject({
      text: '<p>Use <b>which</b> extinguisher?</p>',
      choices: [choice('CO2', 100, '*yes*'), choice('Water', 0)],
    });
    expect(only('::Lift\\: capacity::\n[moodle]Rated load?{#1000}').text).toBe('Rated load?');
    expect(only('[latex]Unknown markers stay.{T}').text).toBe('[latex]Unknown markers stay.');
  });

  it('resolves escapes, keeping other backslashes as written', () => {
    const question = only(
      String.raw`Braces \{ \} equals \= tilde \~ hash \# colon \: slash \\ math \(x^2\){=a\=b ~c\~d}`,
    );
    expect(question.text).toBe(String.raw`Braces { } equals = tilde ~ hash # colon : slash \ math \(x^2\)`);
    expect(question.choices.map((c) => c.text)).toEqual(['a=b', 'c~d']);
  });

  it('reads escaped control characters as text, not as titles, answers, weights or feedback', () => {
    expect(only(String.raw`::Ratio 1\::4::Fuel mix?{=1\:4#It\#s right ~1\:8}`)).toMatchObject({
      text: 'Fuel mix?',
      choices: [choice('1:4', 100, 'It#s right'), choice('1:8', 0)],
    });
    expect(only(String.raw`Approximately?{=a\~b =x\=y}`)).toMatchObject({
      kind: 'SHORT_ANSWER',
      acceptedAnswers: ['a~b', 'x=y'],
    });
    expect(only(String.raw`Sharp?{=C\# ~F\#m#Not F\#}`).choices).toEqual([
      choice('C#', 100),
      choice('F#m', 0, 'Not F#'),
    ]);
  });

  it('joins wrapped lines with one space and keeps \\n as a line break', () => {
    const question = only('  Before entering a\n\tconfined   space,\n  test the air. \\n Then ventilate.{T}');
    expect(question.text).toBe('Before entering a confined space, test the air.\nThen ventilate.');
  });
});

describe('the file around the questions', () => {
  it('separates questions at blank lines and skips comment lines, inside questions too', () => {
    const { questions, errors } = parseGift(
      '// Module 1\n\nFirst?{T}\n   \n// between\nSecond\n// not part of the text\nline?{F}\n\n\n// trailing comment\n',
    );
    expect(errors).toEqual([]);
    expect(questions.map((q) => q.text)).toEqual(['First?', 'Second line?']);
  });

  it('reads Windows and old Mac line ends and a byte-order mark', () => {
    const { questions } = parseGift('\uFEFFOne?{T}\r\n\r\nTwo?{F}\r\rThree?{T}');
    expect(questions.map((q) => q.text)).toEqual(['One?', 'Two?', 'Three?']);
  });

  it('tags the questions after a $CATEGORY: line with its last segment, until the next one', () => {
    const { questions } = parseGift(
      [
        'Untagged?{T}',
        '',
        '$CATEGORY: $course$/top/forklift-basics',
        '',
        'A?{T}',
        '',
        'B?{T}',
        '',
        '$CATEGORY: tom/dick/harry',
        'C, right under its category line?{T}',
        '',
        '$CATEGORY: $course$/top/Hot work//welding/',
        'D?{T}',
        '',
        '$CATEGORY: $course$/top',
        'E?{T}',
      ].join('\n'),
    );
    expect(questions.map((q) => [q.text[0], q.tags])).toEqual([
      ['U', []],
      ['A', ['forklift-basics']],
      ['B', ['forklift-basics']],
      ['C', ['harry']],
      ['D', ['Hot work/welding']],
      ['E', []],
    ]);
  });

  it('adds the [tag:…] names of a question’s comments to its category tag, each once', () => {
    const { questions } = parseGift(
      '$CATEGORY: $course$/top/ppe\n\n// question: 12 [tag:ppe] [tag:hearing]\n// [tag:noise\\]level]\n::Q::Ear muffs?{T}\n\nNext?{T}',
    );
    expect(questions.map((q) => q.tags)).toEqual([['ppe', 'hearing', 'noise]level'], ['ppe']]);
  });

  it('reads nothing from an empty file or one of comments only', () => {
    expect(parseGift('')).toEqual({ questions: [], errors: [] });
    expect(parseGift('// only\n\n  // comments\n')).toEqual({ questions: [], errors: [] });
  });
});
