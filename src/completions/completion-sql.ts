import type { TableMap } from '../core/json-page-sql.js';
import { ASSIGNMENT_TABLE } from '../assignments/assignment-sql.js';
import { COURSE_TABLE } from '../courses/course-sql.js';

/** training_completions for the one-statement page reads (core/json-page-sql.ts): Prisma field → column. */
export const COMPLETION_TABLE: TableMap = {
  model: 'TrainingCompletion',
  table: 'training_completions',
  columns: {
    id: { column: 'id', type: 'uuid' },
    tenantId: { column: 'tenant_id', type: 'uuid' },
    assignmentId: { column: 'assignment_id', type: 'uuid' },
    courseId: { column: 'course_id', type: 'uuid' },
    userId: { column: 'user_id', type: 'uuid' },
    score: { column: 'score', type: 'numeric' },
    passed: { column: 'passed', type: 'boolean' },
    completionTimeMinutes: { column: 'completion_time_minutes', type: 'int' },
    certificateUrl: { column: 'certificate_url', type: 'text' },
    completedAt: { column: 'completed_at', type: 'timestamptz' },
    expiresAt: { column: 'expires_at', type: 'date' },
    createdAt: { column: 'created_at', type: 'timestamptz' },
    source: { column: 'source', type: 'text' },
    evidence: { column: 'evidence', type: 'jsonb' },
  },
  relations: {
    assignment: {
      target: () => ASSIGNMENT_TABLE,
      list: false,
      on: [
        ['tenantId', 'tenantId'],
        ['id', 'assignmentId'],
      ],
    },
    course: {
      target: () => COURSE_TABLE,
      list: false,
      on: [
        ['tenantId', 'tenantId'],
        ['id', 'courseId'],
      ],
    },
  },
};

/**
 * `Assignment.completion(s)` are defined in this folder (completion.ts), so the relation they read is
 * mapped here too: assignments/ never refers to completions/.
 */
ASSIGNMENT_TABLE.relations.completions = {
  target: () => COMPLETION_TABLE,
  list: true,
  on: [
    ['tenantId', 'tenantId'],
    ['assignmentId', 'id'],
  ],
};
