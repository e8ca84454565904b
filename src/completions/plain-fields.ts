import { Prisma } from '../generated/prisma/client.js';
import { plainLeaf, registerPlainFields, sameTenant } from '../core/plain-pages/index.js';
import { userOf } from '../users/plain-fields.js';

// The Completion fields PostgreSQL writes as their resolvers serialise them (plain pages, core/plain-pages), and
// the relations to and from it.
registerPlainFields('Completion', {
  id: plainLeaf.value('id'),
  score: plainLeaf.decimal('score'),
  passed: plainLeaf.value('passed'),
  completionTimeMinutes: plainLeaf.value('completion_time_minutes'),
  certificateUrl: plainLeaf.value('certificate_url'),
  completedAt: plainLeaf.instant('completed_at'),
  expiresAt: plainLeaf.value('expires_at'),
  // As the resolver: expiresAt before today (UTC).
  expired: (row, scope) =>
    Prisma.sql`(${Prisma.raw(row)}.expires_at IS NOT NULL AND ${Prisma.raw(row)}.expires_at < ${day(scope.today)}::date)`,
  source: plainLeaf.enum('source'),
  createdAt: plainLeaf.instant('created_at'),
  user: userOf('user_id'),
  course: {
    type: 'Course',
    from: (row, related, scope) =>
      Prisma.sql`FROM training_courses ${Prisma.raw(related)} WHERE ${sameTenant(row, related, scope)} AND ${Prisma.raw(`${related}.id = ${row}.course_id`)}`,
  },
});

registerPlainFields('Assignment', {
  // The latest attempt, as the resolver's `completions` ordered latest first, the first one.
  completion: {
    type: 'Completion',
    from: (row, related, scope) =>
      Prisma.sql`FROM training_completions ${Prisma.raw(related)} WHERE ${sameTenant(row, related, scope)} AND ${Prisma.raw(`${related}.assignment_id = ${row}.id ORDER BY ${related}.completed_at DESC, ${related}.id ASC LIMIT 1`)}`,
  },
});

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}
