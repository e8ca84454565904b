import { describe, expect, it } from 'vitest';
import { claimText, email } from '../../src/core/validate.js';

/** The edges of the token-claim sanitiser and of the address rule's surrounding spaces and one-letter labels. */

describe('claimText', () => {
  it('keeps a character outside the BMP inside a name; only a pair cut at the end loses its half', () => {
    expect(claimText('Ada \u{1F9BA} King', 200)).toBe('Ada \u{1F9BA} King');
    expect(claimText(`${'x'.repeat(9)}\u{1F9BA}`, 10)).toBe('x'.repeat(9));
  });

  it('drops the space a cut leaves at the end, never at the start', () => {
    expect(claimText(`${'x'.repeat(9)} y`, 10)).toBe('x'.repeat(9));
    expect(claimText('x y', 2)).toBe('x');
  });

  it('replaces every lone surrogate, not only the first', () => {
    expect(claimText('a\uD800b\uDC00c', 200)).toBe('a\uFFFDb\uFFFDc');
  });

  it('keeps a name exactly at the limit', () => {
    expect(claimText('x'.repeat(10), 10)).toBe('x'.repeat(10));
  });
});

describe('email', () => {
  it('drops every space around an address, not only one', () => {
    expect(email('input.email', '   ada@example.com   ')).toBe('ada@example.com');
  });

  it('accepts one-letter domain labels', () => {
    expect(email('input.email', 'ada@x.io')).toBe('ada@x.io');
    expect(email('input.email', 'ada@mail.x')).toBe('ada@mail.x');
  });
});
