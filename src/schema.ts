import { builder } from './core/builder.js';
import './core/scalars.js';
import './core/root.js';
import './users/user.js';
import './courses/course.js';
import './assignments/assignment.js';
import './assignments/lifecycle.js';
import './completions/completion.js';
import './analytics/analytics.js';

/** The federated subgraph schema (Apollo Federation v2). */
export const schema = builder.toSubGraphSchema({
  linkUrl: 'https://specs.apollo.dev/federation/v2.6',
  federationDirectives: ['@key', '@shareable'],
});
