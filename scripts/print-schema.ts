// `npm run schema`: writes schema.graphql, the printed subgraph schema (committed; a test checks it is current).
import { writeFileSync } from 'node:fs';
import { printedSchema } from '../src/schema-printer.js';

writeFileSync(new URL('../schema.graphql', import.meta.url), printedSchema());
console.log('schema.graphql written');
