import { builder } from './core/builder.js';
import './core/scalars.js';
import './core/root.js';
// Each module's front door adds its types, queries and mutations to the builder.
import './modules.js';

/** The federated subgraph schema (Apollo Federation v2). */
export const schema = builder.toSubGraphSchema({
  linkUrl: 'https://specs.apollo.dev/federation/v2.6',
  federationDirectives: ['@key', '@shareable'],
});
