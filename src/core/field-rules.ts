/**
 * Why a field is refused, as a name a client can translate: every BAD_USER_INPUT (and NOT_FOUND) naming a field
 * carries `rule` and `params` beside its English `message` (in `extensions`, and in each `extensions.fields[]`
 * entry), so a form shows "must be from 0 to 100" in the user's language from `numberRange` and `{ min, max }`.
 * Core declares the rules of any input (ids, lengths, ranges, dates); a domain declares its own the same way.
 * Every declared rule must have a sentence in each language of the web app's error catalogs: a test holds it.
 */

/** A rule's parameters: the numbers and names its sentence needs (`max`, `other`, `kind`…). */
export type RuleParams = Readonly<Record<string, string | number>>;

const declared = new Set<string>();

/** Declares rule names (each once in the whole API) and returns them by name, so callers cannot misspell one. */
export function fieldRules<const R extends string>(...names: R[]): { readonly [K in R]: K } {
  const byName = {} as { [K in R]: K };
  for (const name of names) {
    if (declared.has(name)) throw new Error(`field rule ${name} is declared twice`);
    declared.add(name);
    byName[name] = name;
  }
  return byName;
}

/** Every rule declared so far (all of them once the schema's modules are loaded). */
export const declaredFieldRules = (): readonly string[] => [...declared];

/** The rules of any input. */
export const Rule = fieldRules(
  'uuid',
  'noNul',
  'unicode',
  'notEmpty',
  'minLength',
  'maxLength',
  'integerRange',
  'numberRange',
  'finiteNumber',
  'minNumber',
  'httpUrl',
  'notInPast',
  'notInFuture',
  'notNull',
  'required',
  'email',
  'emailDomain',
  'emailOneAddress',
  'date',
  'dateTime',
  'notBefore',
  'after',
  'maxItems',
  'itemsRange',
  'maxRows',
  'unique',
  'exactlyOneOf',
  'notFound',
  'cursor',
  'invalidValue',
  'unknownType',
  'locale',
  'forwardOnly',
  'maxWeeks',
  'requiresField',
  'atMostField',
  'atLeastField',
  'keptByField',
  'maxFileSize',
  'fileType',
);
