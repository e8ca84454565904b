import { plainLeaf, registerPlainFields } from '../core/plain-pages/index.js';
import { userOf } from '../users/plain-fields.js';

// The Course fields PostgreSQL writes as their resolvers serialise them (plain pages, core/plain-pages).
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
  recertifyDaysBefore: plainLeaf.value('recertify_days_before'),
  createdBy: userOf('created_by'),
  createdAt: plainLeaf.instant('created_at'),
  updatedAt: plainLeaf.instant('updated_at'),
});
