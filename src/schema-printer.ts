import { printSubgraphSchema } from '@apollo/subgraph';
import { lexicographicSortSchema } from 'graphql';
import { schema } from './schema.js';

/** schema.graphql's content: the subgraph SDL with federation directives, sorted so diffs stay small. */
export function printedSchema(): string {
  return `${printSubgraphSchema(lexicographicSortSchema(schema)).trim()}\n`;
}
