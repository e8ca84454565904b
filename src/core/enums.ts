import { builder } from './builder.js';

/**
 * A GraphQL enum (SAFETY_FUNDAMENTALS) over the database's lower-case values
 * (safety_fundamentals): resolvers and SQL only ever see the database values.
 */
export function databaseEnum<const Value extends string>(name: string, values: readonly Value[], description: string) {
  return builder.enumType(name, {
    description,
    values: Object.fromEntries(values.map((value) => [value.toUpperCase(), { value }])) as Record<
      Uppercase<Value>,
      { value: Value }
    >,
  });
}
