import { plainLeaf, registerPlainFields, registerPlainRoot } from '../core/plain-pages/index.js';
import { userOf } from '../users/plain-fields.js';
import { COURSE_ORDER, courseWhere, type CourseFilter } from './course.js';
import { COURSE_TABLE } from './course-sql.js';

// The Course fields PostgreSQL writes as their resolvers serialise them, and the course connection whose page it
// reads in one statement (plain pages, core/plain-pages). `requirements` builds its object in a resolver:
// graphql-js answers it.
registerPlainFields('Course', {
  id: plainLeaf.value('id'),
  title: plainLeaf.value('title'),
  description: plainLeaf.value('description'),
  category: plainLeaf.enum('category'),
  contentUrl: plainLeaf.value('content_url'),
  durationMinutes: plainLeaf.value('duration_minutes'),
  difficultyLevel: plainLeaf.enum('difficulty_level'),
  riskThreshold: plainLeaf.decimal('risk_threshold'),
  entityType: plainLeaf.enum('entity_type'),
  autoAssignEnabled: plainLeaf.value('auto_assign_enabled'),
  required: plainLeaf.value('required'),
  expiryMonths: plainLeaf.value('expiry_months'),
  issuesCertificate: plainLeaf.value('issues_certificate'),
  highRiskExpiryMonths: plainLeaf.value('high_risk_expiry_months'),
  rearmMargin: plainLeaf.decimal('rearm_margin'),
  leadDays: plainLeaf.value('lead_days'),
  escalateAfterDays: plainLeaf.value('escalate_after_days'),
  recertifyDaysBefore: plainLeaf.value('recertify_days_before'),
  createdBy: userOf('created_by'),
  createdAt: plainLeaf.instant('created_at'),
  updatedAt: plainLeaf.instant('updated_at'),
});

registerPlainRoot('trainingCourses', {
  table: COURSE_TABLE,
  orderBy: COURSE_ORDER,
  where: (args: { filter?: typeof CourseFilter.$inferInput | null }, context) =>
    courseWhere(context.caller.tenantId, args.filter),
});
