import { describe, expect, it } from 'vitest';
import { effectiveStatus } from '../../src/assignments/status.js';

/** An active assignment past its due date reads as overdue; nothing else changes status. */

const today = new Date('2026-03-10T00:00:00.000Z');
const yesterday = new Date('2026-03-09T00:00:00.000Z');
const tomorrow = new Date('2026-03-11T00:00:00.000Z');

describe('effectiveStatus', () => {
  it.each(['assigned', 'in_progress'])('%s past its due date is overdue', (status) => {
    expect(effectiveStatus(status, yesterday, today)).toBe('overdue');
  });

  it.each(['assigned', 'in_progress'])('%s due today, later or never stays as it is', (status) => {
    expect(effectiveStatus(status, today, today)).toBe(status);
    expect(effectiveStatus(status, tomorrow, today)).toBe(status);
    expect(effectiveStatus(status, null, today)).toBe(status);
  });

  it.each(['completed', 'cancelled', 'overdue'])('%s keeps its status past its due date', (status) => {
    expect(effectiveStatus(status, yesterday, today)).toBe(status);
  });

  it('compares with the current day when no day is given', () => {
    expect(effectiveStatus('assigned', new Date(Date.now() - 2 * 86_400_000))).toBe('overdue');
    expect(effectiveStatus('assigned', new Date(Date.now() + 2 * 86_400_000))).toBe('assigned');
  });
});
