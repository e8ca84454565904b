import type { TableMap } from '../core/json-page-sql.js';
import { COURSE_TABLE } from '../courses/course-sql.js';

/**
 * training_assignments for the one-statement page reads (core/json-page-sql.ts): Prisma field → column.
 * Its `completions` relation is mapped in completions/completion-sql.ts, beside the fields that read it.
 */
export const ASSIGNMENT_TABLE: TableMap = {
  model: 'TrainingAssignment',
  table: 'training_assignments',
  columns: {
    id: { column: 'id', type: 'uuid' },
    tenantId: { column: 'tenant_id', type: 'uuid' },
    courseId: { column: 'course_id', type: 'uuid' },
    userId: { column: 'user_id', type: 'uuid' },
    assignedBy: { column: 'assigned_by', type: 'uuid' },
    assignmentType: { column: 'assignment_type', type: 'text' },
    assignmentReason: { column: 'assignment_reason', type: 'text' },
    dueDate: { column: 'due_date', type: 'date' },
    status: { column: 'status', type: 'text' },
    assignedAt: { column: 'assigned_at', type: 'timestamptz' },
    startedAt: { column: 'started_at', type: 'timestamptz' },
    completedAt: { column: 'completed_at', type: 'timestamptz' },
    cancelledAt: { column: 'cancelled_at', type: 'timestamptz' },
    cancelledBy: { column: 'cancelled_by', type: 'uuid' },
    cancelReason: { column: 'cancel_reason', type: 'text' },
    triggerScoreId: { column: 'trigger_score_id', type: 'uuid' },
    triggerScore: { column: 'trigger_score', type: 'numeric' },
    triggerThreshold: { column: 'trigger_threshold', type: 'numeric' },
    triggerEntityType: { column: 'trigger_entity_type', type: 'text' },
    triggerEntityId: { column: 'trigger_entity_id', type: 'uuid' },
    createdAt: { column: 'created_at', type: 'timestamptz' },
    updatedAt: { column: 'updated_at', type: 'timestamptz' },
    recertificationOfId: { column: 'recertification_of', type: 'uuid' },
  },
  relations: {
    // The foreign keys of prisma/schema.prisma: (tenant_id, course_id) → training_courses (tenant_id, id), …
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
