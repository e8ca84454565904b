import type { TableMap } from '../core/json-page-sql.js';

/** training_courses for the one-statement page reads (core/json-page-sql.ts): Prisma field → column. */
export const COURSE_TABLE: TableMap = {
  model: 'TrainingCourse',
  table: 'training_courses',
  columns: {
    id: { column: 'id', type: 'uuid' },
    tenantId: { column: 'tenant_id', type: 'uuid' },
    title: { column: 'title', type: 'text' },
    description: { column: 'description', type: 'text' },
    category: { column: 'category', type: 'text' },
    contentUrl: { column: 'content_url', type: 'text' },
    durationMinutes: { column: 'duration_minutes', type: 'int' },
    difficultyLevel: { column: 'difficulty_level', type: 'text' },
    riskThreshold: { column: 'risk_threshold', type: 'numeric' },
    entityType: { column: 'entity_type', type: 'text' },
    autoAssignEnabled: { column: 'auto_assign_enabled', type: 'boolean' },
    required: { column: 'required', type: 'boolean' },
    expiryMonths: { column: 'expiry_months', type: 'int' },
    issuesCertificate: { column: 'issues_certificate', type: 'boolean' },
    highRiskExpiryMonths: { column: 'high_risk_expiry_months', type: 'int' },
    rearmMargin: { column: 'rearm_margin', type: 'numeric' },
    escalateAfterDays: { column: 'escalate_after_days', type: 'int' },
    recertifyDaysBefore: { column: 'recertify_days_before', type: 'int' },
    requiresQuiz: { column: 'requires_quiz', type: 'boolean' },
    requiresContent: { column: 'requires_content', type: 'boolean' },
    requiresPracticalEvaluation: { column: 'requires_practical_evaluation', type: 'boolean' },
    createdBy: { column: 'created_by', type: 'uuid' },
    createdAt: { column: 'created_at', type: 'timestamptz' },
    updatedAt: { column: 'updated_at', type: 'timestamptz' },
  },
  relations: {},
};
