import { EnumValue } from '../../support/fuzz.js';
import { type CallerName, type IdKind, IdRef } from './ids.js';
import { type Case } from './cases.js';

/**
 * Inputs that once answered INTERNAL_SERVER_ERROR, tried first on every run
 * (for the mutations the schema still has).
 */
export function regressions(name: string): Case[] {
  const base = { transport: 'variables', inlineMask: 0, extraArgument: false, junkVariables: false } as const;
  const focused = (caller: CallerName, focus: string, args: Case['args']): Case => ({
    ...base,
    caller,
    mode: 'focused',
    focus,
    args,
  });
  const a = (kind: IdKind) => new IdRef('A', kind, 0);
  const loneSurrogate = 'Fuzz \ud83d';
  switch (name) {
    case 'createTrainingCourse':
      // Prisma's query engine cannot carry a lone UTF-16 surrogate (JSON protocol).
      return [
        focused('admin', 'input.title', { input: { title: loneSurrogate, category: new EnumValue('OTHER') } }),
        focused('admin', 'input.description', {
          input: { title: 'Fuzz', description: '\ude56', category: new EnumValue('OTHER') },
        }),
      ];
    case 'updateTrainingCourse':
      return [focused('safety_officer', 'input.title', { id: a('course'), input: { title: loneSurrogate } })];
    case 'assignTrainingCourse':
      return [
        focused('admin', 'input.assignmentReason', {
          input: { courseId: a('course'), userId: a('user'), assignmentReason: loneSurrogate },
        }),
      ];
    case 'cancelTrainingAssignment':
      return [focused('admin', 'reason', { assignmentId: new IdRef('A-newest', 'assignment', 0), reason: '\udfff' })];
    case 'upsertProfiles':
      return [
        focused('service', 'profiles.0.displayName', {
          profiles: [{ id: a('user'), displayName: loneSurrogate, role: new EnumValue('WORKER') }],
        }),
        // More than 50 bad variable values: graphql-js gives up with an error Apollo did not label.
        focused('admin', 'profiles', { profiles: Array.from({ length: 5001 }, () => null) }),
      ];
    case 'setEquipmentOperators':
      return [
        focused('service', 'equipment.0.userIds', {
          equipment: [{ equipmentId: a('equipment'), userIds: Array.from({ length: 5001 }, () => null) }],
        }),
      ];
    case 'recordPredictiveScores':
      // Year 0 is a valid ISO 8601 date-time (and JS Date), but PostgreSQL has no year 0.
      return [
        focused('service', 'scores.0.computedAt', {
          scores: [
            { entityType: new EnumValue('WORKER'), entityId: a('user'), score: 50, computedAt: '0000-01-01T00:00:00Z' },
          ],
        }),
      ];
    case 'recordShiftAssignments':
      return [
        // Year 10000 once the offset is applied: PostgreSQL cannot read what JavaScript prints for it.
        focused('service', 'shifts.0.endsAt', {
          shifts: [
            {
              zoneId: a('zone'),
              userId: a('user'),
              startsAt: '2026-01-01T00:00:00Z',
              endsAt: '9999-12-31T23:59:59-12:00',
            },
          ],
        }),
        focused('admin', 'shifts.0.startsAt', {
          shifts: [
            {
              zoneId: a('zone'),
              userId: a('user'),
              startsAt: '0000-12-31T23:59:59.999Z',
              endsAt: '2026-01-01T00:00:00Z',
            },
          ],
        }),
      ];
    default:
      return [];
  }
}
