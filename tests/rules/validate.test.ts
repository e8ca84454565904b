import { describe, expect, it } from 'vitest';
import { todayUtc } from '../../src/core/today.js';
import * as validate from '../../src/core/validate.js';

/**
 * The input rules every mutation shares: what each accepts at its edges, and the exact
 * message (naming the argument) a client gets when it refuses.
 */

/** The error a rule throws, failing the test when the rule accepts the value. */
function refusal(check: () => unknown): { message: string; extensions: Record<string, unknown> } {
  let accepted: unknown;
  try {
    accepted = check();
  } catch (error) {
    return error as { message: string; extensions: Record<string, unknown> };
  }
  throw new Error(`expected a refusal, got ${JSON.stringify(accepted)}`);
}

const refused = (field: string, message: string) => ({
  message: `${field}: ${message}`,
  extensions: { code: 'BAD_USER_INPUT', field },
});

const SAFETY_VEST = '\u{1F9BA}'; // 🦺, outside the BMP: one character, two UTF-16 code units

describe('uuid', () => {
  it('accepts a UUID in either case and returns it lower-cased', () => {
    expect(validate.uuid('id', '6F0B1E4C-3A7D-4C1E-9F2A-8B5D7C9E0A11')).toBe('6f0b1e4c-3a7d-4c1e-9f2a-8b5d7c9e0a11');
  });

  it('refuses anything else, naming the argument', () => {
    expect(refusal(() => validate.uuid('input.courseId', 'course-1'))).toMatchObject(
      refused('input.courseId', 'must be a UUID'),
    );
  });
});

describe('text', () => {
  it('returns the text trimmed', () => {
    expect(validate.text('title', '  Forklift basics \n', { max: 200 })).toBe('Forklift basics');
  });

  it('accepts text outside the BMP (emoji), alone, in pairs and between other text', () => {
    for (const value of [SAFETY_VEST, `${SAFETY_VEST}${SAFETY_VEST}`, `Hi-vis ${SAFETY_VEST} vest`, 'Sécurité € ✓']) {
      expect(validate.text('title', value, { min: 1, max: 200 })).toBe(value);
    }
  });

  it('refuses a NUL character anywhere', () => {
    for (const value of ['a\u0000b', '\u0000', 'end\u0000']) {
      expect(refusal(() => validate.text('input.title', value, { max: 200 }))).toMatchObject(
        refused('input.title', 'must not contain NUL characters'),
      );
    }
  });

  it('refuses a lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one', () => {
    const high = SAFETY_VEST[0]!;
    const low = SAFETY_VEST[1]!;
    for (const value of [
      high,
      `${high}x`,
      `x${high}`,
      low,
      `${low}x`,
      `x${low}`,
      `${low}${high}`,
      `${SAFETY_VEST}${low}`,
    ]) {
      expect(
        refusal(() => validate.text('reason', value, { max: 200 })),
        JSON.stringify(value),
      ).toMatchObject(refused('reason', 'must be valid Unicode (no lone surrogates)'));
    }
  });

  it('counts length after trimming, accepting exactly the minimum and the maximum', () => {
    expect(validate.text('title', '  abc  ', { min: 3, max: 3 })).toBe('abc');
    expect(validate.text('title', 'a', { min: 1, max: 5 })).toBe('a');
    expect(validate.text('title', 'abcde', { min: 1, max: 5 })).toBe('abcde');
  });

  it('accepts empty text when no minimum is given', () => {
    expect(validate.text('description', '   ', { max: 10 })).toBe('');
  });

  it('refuses empty text when at least one character is required', () => {
    expect(refusal(() => validate.text('input.title', '   ', { min: 1, max: 200 }))).toMatchObject(
      refused('input.title', 'must not be empty'),
    );
  });

  it('refuses text shorter than a larger minimum, saying how long it must be', () => {
    expect(refusal(() => validate.text('code', ' ab ', { min: 3, max: 10 }))).toMatchObject(
      refused('code', 'must be at least 3 characters'),
    );
  });

  it('refuses text one past the maximum, saying the maximum', () => {
    expect(refusal(() => validate.text('input.title', 'abcdef', { max: 5 }))).toMatchObject(
      refused('input.title', 'must be at most 5 characters'),
    );
  });
});

describe('email', () => {
  const ONE_ADDRESS = 'must be one address: no spaces, line breaks, commas, semicolons or angle brackets';
  const LOCAL_AT_DOMAIN = 'must be one address of the form local@domain, without a display name';
  const DOMAIN = 'must have a domain such as example.com';

  it.each([
    ['ana@example.com', 'ana@example.com'],
    ['  ana@example.com ', 'ana@example.com'],
    ['ops@localhost', 'ops@localhost'],
    ['ops@LocalHost', 'ops@LocalHost'],
    ['ana.lima+safety@mail.example.com', 'ana.lima+safety@mail.example.com'],
    ["o'neil!#$%&*/=?^_`{|}~-@example.com", "o'neil!#$%&*/=?^_`{|}~-@example.com"],
    ['zoë@exämple.com', 'zoë@exämple.com'],
    ['a@b-c.d1', 'a@b-c.d1'],
    [`${'a'.repeat(242)}@example.com`, `${'a'.repeat(242)}@example.com`],
  ])('accepts %j', (value, expected) => {
    expect(validate.email('email', value)).toBe(expected);
    expect(validate.emailAddressProblem(expected)).toBeUndefined();
  });

  it.each([
    [`${'a'.repeat(243)}@example.com`, 'must be at most 254 characters'],
    ['ana\uD800@example.com', 'must be valid Unicode (no lone surrogates)'],
    ['ana@example.com, spy@evil.example', ONE_ADDRESS],
    ['ana@example.com,spy@evil.example', ONE_ADDRESS],
    ['ana@example.com\r\nBcc: spy@evil.example', ONE_ADDRESS],
    ['ana@example.com\n', ONE_ADDRESS],
    ['ana@example.com\u0085', ONE_ADDRESS],
    ['ana\u0000@example.com', ONE_ADDRESS],
    ['\tana@example.com', ONE_ADDRESS],
    ['ana @example.com', ONE_ADDRESS],
    ['ana@example.com;spy@evil.example', ONE_ADDRESS],
    ['Ana <ana@example.com>', ONE_ADDRESS],
    ['<ana@example.com>', ONE_ADDRESS],
    ['ana@example.com>', ONE_ADDRESS],
    ['"ana"@example.com', LOCAL_AT_DOMAIN],
    ['ana(x)@example.com', LOCAL_AT_DOMAIN],
    ['team:ana@example.com', LOCAL_AT_DOMAIN],
    ['ana@evil.example@example.com', LOCAL_AT_DOMAIN],
    ['ana..lima@example.com', LOCAL_AT_DOMAIN],
    ['.ana@example.com', LOCAL_AT_DOMAIN],
    ['ana.@example.com', LOCAL_AT_DOMAIN],
    ['@example.com', LOCAL_AT_DOMAIN],
    ['ana.example.com', LOCAL_AT_DOMAIN],
    ['', LOCAL_AT_DOMAIN],
    ['ana@', DOMAIN],
    ['ana@example', DOMAIN],
    ['ana@localhost.', DOMAIN],
    ['ana@.example.com', DOMAIN],
    ['ana@example..com', DOMAIN],
    ['ana@-example.com', DOMAIN],
    ['ana@example-.com', DOMAIN],
    ['ana@exa_mple.com', DOMAIN],
    ['ana@[192.0.2.1]', DOMAIN],
  ])('refuses %j, naming the argument', (value, message) => {
    expect(refusal(() => validate.email('profiles[2].email', value))).toMatchObject(
      refused('profiles[2].email', message),
    );
  });

  it('drops a token claim that breaks the rule, and keeps one that follows it', () => {
    expect(validate.claimEmail(' ana@example.com ')).toBe('ana@example.com');
    expect(validate.claimEmail('ana@example.com, spy@evil.example')).toBeUndefined();
    expect(validate.claimEmail('ana@example.com\r\n')).toBeUndefined();
    expect(validate.claimEmail(42)).toBeUndefined();
  });
});

describe('integer', () => {
  const range = { min: 1, max: 600 };

  it('accepts each bound exactly', () => {
    expect(validate.integer('input.expiryMonths', 1, range)).toBe(1);
    expect(validate.integer('input.expiryMonths', 600, range)).toBe(600);
  });

  it.each([0, 601, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s with the range in the message', (value) => {
    expect(refusal(() => validate.integer('input.expiryMonths', value, range))).toMatchObject(
      refused('input.expiryMonths', 'must be an integer from 1 to 600'),
    );
  });
});

describe('number', () => {
  const range = { min: 0, max: 100 };

  it('accepts each bound exactly, and fractions between', () => {
    expect(validate.number('input.score', 0, range)).toBe(0);
    expect(validate.number('input.score', 100, range)).toBe(100);
    expect(validate.number('input.score', 99.5, range)).toBe(99.5);
  });

  it.each([-0.001, 100.001, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'refuses %s with the range in the message',
    (value) => {
      expect(refusal(() => validate.number('input.score', value, range))).toMatchObject(
        refused('input.score', 'must be from 0 to 100'),
      );
    },
  );
});

describe('httpUrl', () => {
  it('accepts absolute http and https URLs, trimmed', () => {
    expect(validate.httpUrl('input.contentUrl', ' https://example.com/course ')).toBe('https://example.com/course');
    expect(validate.httpUrl('input.contentUrl', 'http://intranet/training')).toBe('http://intranet/training');
  });

  it('accepts a URL of exactly 2048 characters and refuses one of 2049', () => {
    const base = 'https://example.com/';
    const longest = base + 'a'.repeat(2048 - base.length);
    expect(validate.httpUrl('input.contentUrl', longest)).toBe(longest);
    expect(refusal(() => validate.httpUrl('input.contentUrl', `${longest}a`))).toMatchObject(
      refused('input.contentUrl', 'must be at most 2048 characters'),
    );
  });

  it('refuses an empty URL', () => {
    expect(refusal(() => validate.httpUrl('input.contentUrl', ' '))).toMatchObject(
      refused('input.contentUrl', 'must not be empty'),
    );
  });

  it.each(['not a url', '/relative/path', 'ftp://example.com/file', 'javascript:alert(1)', 'mailto:a@example.com'])(
    'refuses %s',
    (value) => {
      expect(refusal(() => validate.httpUrl('input.contentUrl', value))).toMatchObject(
        refused('input.contentUrl', 'must be an absolute http(s) URL'),
      );
    },
  );
});

describe('notInPast', () => {
  const day = (offset: number) => new Date(todayUtc().getTime() + offset * 86_400_000);

  it('accepts today and later', () => {
    expect(validate.notInPast('input.dueDate', day(0))).toEqual(day(0));
    expect(validate.notInPast('input.dueDate', day(1))).toEqual(day(1));
  });

  it('refuses yesterday', () => {
    expect(refusal(() => validate.notInPast('input.dueDate', day(-1)))).toMatchObject(
      refused('input.dueDate', 'must not be in the past'),
    );
  });
});

describe('present', () => {
  it('passes a value or an omission through', () => {
    expect(validate.present('input.required', false)).toBe(false);
    expect(validate.present('input.required', undefined)).toBeUndefined();
  });

  it('refuses an explicit null', () => {
    expect(refusal(() => validate.present('input.required', null))).toMatchObject(
      refused('input.required', 'must not be null'),
    );
  });
});
