/**
 * The tables that hold a tenant's rows: each has `tenant_id`, and RLS is forced on it. Every
 * table of the database with a `tenant_id` column must be listed (tests/db/rls.test.ts checks
 * it), so the generic checks (RLS per table, the tenancy and fuzz checksums) cover a new one.
 */
export const TENANT_TABLES = [
  'profiles',
  'predictive_scores',
  'shift_assignments',
  'equipment_operators',
  'training_courses',
  'training_assignments',
  'training_completions',
  'certificates',
  'notifications',
  'notification_preferences',
  'risk_escalations',
  'training_evidence',
  // The scheduler's record of each tenant's runs (written as the tenant's 'service').
  'scheduled_job_runs',
  // Analytics counters: derived from the tenant's rows, written only by triggers.
  'training_assignment_counts',
  'training_assignment_due_counts',
  'training_completion_counts',
  // Each user's holdings (courses held and until when): derived from completions and certificates by triggers.
  'training_holdings',
  // Quizzes: the question bank, a course's quiz, attempts, what they show and their answers.
  'quiz_questions',
  'quiz_choices',
  'course_quizzes',
  'quiz_attempts',
  'quiz_attempt_questions',
  'quiz_answers',
  // The audit trail: appended by the audit trigger of every other table, read by admins.
  'audit_events',
  // Course content: uploaded files, a course's modules, each assignee's progress through them.
  'content_files',
  'course_modules',
  'module_progress',
  // The LRS: credentials, cmi5 launch tokens, statements, their attachments and activities, documents.
  'lrs_credentials',
  'xapi_launch_tokens',
  'xapi_statements',
  'xapi_attachments',
  'xapi_activities',
  'xapi_documents',
  // A mutation's Idempotency-Key and the response it got.
  'idempotency_keys',
  // The tenant's name and logo.
  'tenant_settings',
] as const;

export type TenantTable = (typeof TENANT_TABLES)[number];
