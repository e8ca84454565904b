import { analytics } from './analytics/index.js';
import { assignments } from './assignments/index.js';
import { audit } from './audit/index.js';
import { certificates } from './certificates/index.js';
import { completions } from './completions/index.js';
import { content } from './content/index.js';
import type { DomainModule } from './core/module.js';
import { courses } from './courses/index.js';
import { idempotency } from './idempotency/index.js';
import { notifications } from './notifications/index.js';
import { quizzes } from './quizzes/index.js';
import { recertification } from './recertification/index.js';
import { records } from './records/index.js';
import { risk } from './risk/index.js';
import { tenants } from './tenants/index.js';
import { users } from './users/index.js';
import { web } from './web/index.js';
import { xapi } from './xapi/index.js';

/**
 * The app's modules, each a domain folder's front door (`index.ts`). Listed in the order their GraphQL types
 * build on each other; adding a domain is one line here.
 */
export const modules: readonly DomainModule[] = [
  users,
  tenants,
  courses,
  assignments,
  completions,
  certificates,
  analytics,
  risk,
  notifications,
  recertification,
  quizzes,
  audit,
  records,
  content,
  xapi,
  idempotency,
  web,
];
