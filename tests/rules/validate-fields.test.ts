import { describe, expect, it } from 'vitest';
import { ApiError, badInput, badInputs, conflict } from '../../src/core/errors.js';
import * as validate from '../../src/core/validate.js';

/**
 * `validate.fields`: every field of one input is checked, even after one failed, so a form learns all that is
 * wrong at once — one BAD_USER_INPUT listing each invalid field, the first also in `field` as before.
 */

function refusal(check: () => unknown): ApiError {
  try {
    check();
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected a refusal');
}

describe('validate.fields', () => {
  it('returns every checked value when all pass, in the keys given (undefined kept as undefined)', () => {
    const values = validate.fields({
      title: () => validate.text('input.title', ' Ladders ', { max: 10 }),
      minutes: () => validate.integer('input.minutes', 20, { min: 1, max: 60 }),
      note: () => undefined,
    });
    expect(values).toEqual({ title: 'Ladders', minutes: 20, note: undefined });
    expect(Object.keys(values)).toEqual(['title', 'minutes', 'note']);
  });

  it('refuses with every invalid field at once, in order, each message without its field prefix, with its rule', () => {
    let checkedLast = false;
    const error = refusal(() =>
      validate.fields({
        score: () => validate.number('input.score', 120, { min: 0, max: 100 }),
        title: () => validate.text('input.title', 'ok', { max: 10 }),
        minutes: () => validate.integer('input.minutes', 0, { min: 1, max: 60 }),
        last: () => {
          checkedLast = true;
          return 1;
        },
      }),
    );
    expect(checkedLast).toBe(true);
    expect(error.message).toBe('input.score: must be from 0 to 100; input.minutes: must be an integer from 1 to 60');
    expect(error.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.score',
      fields: [
        { field: 'input.score', message: 'must be from 0 to 100', rule: 'numberRange', params: { min: 0, max: 100 } },
        {
          field: 'input.minutes',
          message: 'must be an integer from 1 to 60',
          rule: 'integerRange',
          params: { min: 1, max: 60 },
        },
      ],
    });
  });

  it('one invalid field is reported alone, with `fields` too', () => {
    const error = refusal(() => validate.fields({ a: () => validate.present('input.a', null) }));
    expect(error.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.a',
      fields: [{ field: 'input.a', message: 'must not be null', rule: 'notNull', params: {} }],
    });
  });

  it('keeps a message that does not start with its field as it is; a refusal without a rule is an invalid value', () => {
    const odd = new ApiError('BAD_USER_INPUT', 'something else', { field: 'input.b' });
    const error = refusal(() =>
      validate.fields({
        b: () => {
          throw odd;
        },
      }),
    );
    expect(error.extensions.fields).toEqual([
      { field: 'input.b', message: 'something else', rule: 'invalidValue', params: {} },
    ]);
  });

  it('throws any other error as it is, at once: another code, a nameless refusal, an already grouped one', () => {
    const other = conflict('taken');
    const nameless = new ApiError('BAD_USER_INPUT', 'bad value');
    const grouped = badInputs([{ field: 'input.c', message: 'x', rule: 'notEmpty', params: {} }]);
    const plain = new Error('boom');
    for (const thrown of [other, nameless, grouped, plain]) {
      let after = false;
      const error = refusal(() =>
        validate.fields({
          first: () => {
            throw thrown;
          },
          second: () => {
            after = true;
            throw badInput('input.d', 'also bad', 'notEmpty');
          },
        }),
      );
      expect(error).toBe(thrown);
      expect(after).toBe(false);
    }
  });

  it('a field refused after another error type still comes second: the first non-field error wins', () => {
    const other = conflict('taken');
    const error = refusal(() =>
      validate.fields({
        bad: () => {
          throw badInput('input.e', 'bad', 'notEmpty');
        },
        other: () => {
          throw other;
        },
      }),
    );
    expect(error).toBe(other);
  });
});
