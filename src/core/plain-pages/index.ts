import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import {
  execute,
  getArgumentValues,
  getVariableValues,
  isNonNullType,
  locatedError,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { CallerContext, Context } from '../caller/index.js';
import { tenantOf } from '../where-tenant.js';
import { todayUtc } from '../today.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../page-size.js';
import { plainPlanOf, type PlainPlan } from './plan.js';
import { plainPageSql } from './sql.js';

export {
  plainLeaf,
  registerPlainFields,
  registerPlainRoot,
  sameTenant,
  type PlainRelation,
  type PlainScope,
} from './registry.js';
export { plainSelectionOf, type PlainSelection } from './plan.js';
export { graphqlJsonText, plainObjectsSql } from './sql.js';

/**
 * Plain pages: a query operation that is one compiled connection page of plain fields (plan.ts) is answered
 * from the JSON PostgreSQL shapes, without graphql-js's per-field execution, Pothos' selection planning or
 * plugin-prisma's page arguments; every other operation is executed by graphql-js exactly as Apollo would.
 * Apollo has parsed, validated and checked the operation's cost before either runs, and the page is read in
 * the request's own transaction as the caller (RLS), through the field's own filter function, which checks
 * the caller's permission and the arguments as the field's resolver does. Anything that could answer
 * differently — a refused argument, a filter that does not compile, a variable graphql-js would refuse — is
 * left to graphql-js, which answers it as always. The same compilation serves a domain's own reads of plain
 * selections (`plainSelectionOf`, `plainObjectsSql`: a subscription's events, one response text per row).
 */

type Gateway = ApolloServerOptionsWithGateway<Context>['gateway'];
type Executor = NonNullable<Awaited<ReturnType<Gateway['load']>>['executor']>;

/** Apollo's gateway interface over the subgraph's own schema: its executor answers plain pages itself. */
export function plainPagesGateway(schema: GraphQLSchema): Gateway {
  const executor: Executor = async ({ document, request, context }) =>
    (await answerPlainly(schema, document, request, context as Context)) ??
    (execute({
      schema,
      document,
      contextValue: context,
      variableValues: request.variables,
      operationName: request.operationName,
    }) as Promise<ExecutionResult>);
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    load: async () => ({ executor }),
    stop: async () => {},
  };
}

type Request = Parameters<Executor>[0]['request'];

async function answerPlainly(
  schema: GraphQLSchema,
  document: Parameters<Executor>[0]['document'],
  request: Request,
  context: Context,
): Promise<ExecutionResult | undefined> {
  const { config } = context.services;
  if (!config.compiledReads || !config.plainPages || !context.caller) return undefined;
  const plan = plainPlanOf(schema, document, request.operationName);
  if (!plan) return undefined;
  const args = argumentsOf(schema, plan, request.variables);
  const take = args && pageSize(args);
  if (!args || take === undefined) return undefined;
  let where: unknown;
  try {
    where = plan.root.where(args, context as CallerContext);
  } catch {
    return undefined; // graphql-js throws it again, as the field's error
  }
  const statement = plainPageSql(plan, where, take, { tenantId: tenantOf(where), today: todayUtc() });
  if (!statement) return undefined;
  let row: { nodes?: string; total?: number } = {};
  try {
    if (statement.text) [row = {}] = await context.read<{ nodes?: string; total?: number }>(statement);
  } catch (error) {
    // As graphql-js reports a resolver's error: at the root field, which nulls what it must.
    const located = locatedError(error, [plan.rootNode], [plan.rootKey]);
    return { data: isNonNullType(plan.rootField.type) ? null : { [plan.rootKey]: null }, errors: [located] };
  }
  const connection: Record<string, unknown> = {};
  for (const entry of plan.connection) {
    if ('typename' in entry) connection[entry.key] = entry.typename;
    else if ('totalCount' in entry) connection[entry.key] = row.total;
    else connection[entry.key] = JSON.parse(row.nodes!);
  }
  return { data: { [plan.rootKey]: connection } };
}

/** The root field's arguments as graphql-js coerces them; undefined when it would refuse them. */
function argumentsOf(schema: GraphQLSchema, plan: PlainPlan, inputs: Request['variables']) {
  const variables = getVariableValues(schema, plan.operation.variableDefinitions ?? [], inputs ?? {});
  if (variables.errors) return undefined;
  try {
    return getArgumentValues(plan.rootField, plan.rootNode, variables.coerced);
  } catch {
    return undefined;
  }
}

/** A first page by `first` (or the default size) within the largest page; anything else is graphql-js's. */
function pageSize(args: Record<string, unknown>): number | undefined {
  if (args.after != null || args.before != null || args.last != null) return undefined;
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  return typeof first === 'number' && Number.isInteger(first) && first >= 1 && first <= MAX_PAGE_SIZE
    ? first
    : undefined;
}
