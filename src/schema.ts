import { builder } from './core/builder.js';
import './core/scalars.js';
import './core/root.js';
import './users/user.js';
import './courses/course.js';
import './assignments/assignment.js';
// The order in which the files add fields is the order of the fields in schema.graphql: completing
// comes between starting and cancelling, as in the life cycle.
import './assignments/lifecycle.js';
import './completions/complete.js';
import './assignments/cancel-and-sweep.js';
import './assignments/live.js';
import './completions/completion.js';
import './certificates/certificate.js';
import './analytics/analytics.js';
import './users/profiles.js';
import './users/shifts.js';
import './users/equipment-operators.js';
import './risk/auto-assign.js';
import './risk/scores.js';
import './risk/escalations.js';
import './risk/qualifications.js';
import './notifications/notification.js';
import './recertification/recertification.js';

/** The federated subgraph schema (Apollo Federation v2). */
export const schema = builder.toSubGraphSchema({
  linkUrl: 'https://specs.apollo.dev/federation/v2.6',
  federationDirectives: ['@key', '@shareable'],
});
