import { validateActor, validateAgent, validateGroup } from './agents.js';
import { invalid } from './errors.js';
import {
  array,
  boolean,
  duration,
  extensions,
  iri,
  isObject,
  languageMap,
  languageTag,
  number,
  object,
  string,
  timestamp,
  uuid,
  type Json,
  type XapiVersion,
} from './rules.js';

/** A statement's validation, every MUST the LRS checks (xAPI 1.0.3 and 2.0.0). */

export const VOIDED = 'http://adlnet.gov/expapi/verbs/voided';
export const SIGNATURE_USAGE = 'http://adlnet.gov/expapi/attachments/signature';

const STATEMENT_KEYS = [
  'id',
  'actor',
  'verb',
  'object',
  'result',
  'context',
  'timestamp',
  'stored',
  'authority',
  'version',
  'attachments',
];
const SUB_STATEMENT_KEYS = ['objectType', 'actor', 'verb', 'object', 'result', 'context', 'timestamp', 'attachments'];
const INTERACTION_TYPES = [
  'true-false',
  'choice',
  'fill-in',
  'long-fill-in',
  'matching',
  'performance',
  'sequencing',
  'likert',
  'numeric',
  'other',
];
const COMPONENT_LISTS = ['choices', 'scale', 'source', 'target', 'steps'];
const DEFINITION_KEYS = [
  'name',
  'description',
  'type',
  'moreInfo',
  'extensions',
  'interactionType',
  'correctResponsesPattern',
  ...COMPONENT_LISTS,
];

export function validateStatement(value: unknown, version: XapiVersion): Json {
  const statement = object('statement', value, STATEMENT_KEYS, ['actor', 'verb', 'object']);
  if (statement.id !== undefined) uuid('id', statement.id);
  if (statement.version !== undefined) {
    const text = string('version', statement.version);
    if (!/^(1\.0(\.\d+)?|2\.0(\.\d+)?)$/.test(text)) throw invalid('version must be 1.0.x or 2.0.x');
  }
  if (statement.stored !== undefined) timestamp('stored', statement.stored);
  if (statement.authority !== undefined) {
    const authority = validateActor('authority', statement.authority);
    // A group as authority is OAuth's pair: anonymous, exactly two agents.
    if (authority.objectType === 'Group' && (authority.member as unknown[] | undefined)?.length !== 2) {
      throw invalid('a group authority has exactly two members');
    }
    if (
      authority.objectType === 'Group' &&
      Object.keys(authority).some((key) => !['objectType', 'member', 'name'].includes(key))
    ) {
      throw invalid('a group authority is anonymous');
    }
  }
  validateBody('statement', statement, version);
  const verb = statement.verb as Json;
  if (verb.id === VOIDED && (statement.object as Json).objectType !== 'StatementRef') {
    throw invalid('a voiding statement must have a StatementRef object');
  }
  return statement;
}

/** What a statement and a sub-statement share: actor, verb, object, result, context, timestamp, attachments. */
function validateBody(path: string, body: Json, version: XapiVersion): void {
  validateActor(`${path}.actor`, body.actor);
  const verb = object(`${path}.verb`, body.verb, ['id', 'display'], ['id']);
  iri(`${path}.verb.id`, verb.id);
  if (verb.display !== undefined) languageMap(`${path}.verb.display`, verb.display);
  const target = validateObject(`${path}.object`, body.object, version, path === 'statement');
  if (body.result !== undefined) validateResult(`${path}.result`, body.result);
  if (body.context !== undefined) validateContext(`${path}.context`, body.context, target, version);
  if (body.timestamp !== undefined) timestamp(`${path}.timestamp`, body.timestamp);
  if (body.attachments !== undefined) {
    array(`${path}.attachments`, body.attachments).forEach((attachment, index) =>
      validateAttachment(`${path}.attachments[${index}]`, attachment),
    );
  }
}

function validateObject(path: string, value: unknown, version: XapiVersion, topLevel: boolean): Json {
  if (!isObject(value)) throw invalid(`${path} must be an object`);
  switch (value.objectType ?? 'Activity') {
    case 'Activity':
      return validateActivity(path, value);
    case 'Agent':
      return validateAgent(path, value);
    case 'Group':
      return validateGroup(path, value);
    case 'StatementRef':
      return validateStatementRef(path, value);
    case 'SubStatement': {
      if (!topLevel) throw invalid(`${path}: a SubStatement cannot contain a SubStatement`);
      const sub = object(path, value, SUB_STATEMENT_KEYS, ['actor', 'verb', 'object']);
      validateBody(path, sub, version);
      return sub;
    }
    default:
      throw invalid(`${path}.objectType is not one xAPI knows`);
  }
}

function validateStatementRef(path: string, value: unknown): Json {
  const ref = object(path, value, ['objectType', 'id'], ['objectType', 'id']);
  if (ref.objectType !== 'StatementRef') throw invalid(`${path}.objectType must be "StatementRef"`);
  uuid(`${path}.id`, ref.id);
  return ref;
}

export function validateActivity(path: string, value: unknown): Json {
  const activity = object(path, value, ['objectType', 'id', 'definition'], ['id']);
  if (activity.objectType !== undefined && activity.objectType !== 'Activity') {
    throw invalid(`${path}.objectType must be "Activity"`);
  }
  iri(`${path}.id`, activity.id);
  if (activity.definition !== undefined) validateDefinition(`${path}.definition`, activity.definition);
  return activity;
}

function validateDefinition(path: string, value: unknown): void {
  const definition = object(path, value, DEFINITION_KEYS);
  if (definition.name !== undefined) languageMap(`${path}.name`, definition.name);
  if (definition.description !== undefined) languageMap(`${path}.description`, definition.description);
  if (definition.type !== undefined) iri(`${path}.type`, definition.type);
  if (definition.moreInfo !== undefined) iri(`${path}.moreInfo`, definition.moreInfo);
  if (definition.extensions !== undefined) extensions(`${path}.extensions`, definition.extensions);
  if (
    definition.interactionType === undefined &&
    ['correctResponsesPattern', ...COMPONENT_LISTS].some((k) => k in definition)
  ) {
    throw invalid(`${path}: an interaction's properties need its interactionType`);
  }
  if (definition.interactionType !== undefined && !INTERACTION_TYPES.includes(definition.interactionType as string)) {
    throw invalid(`${path}.interactionType is not one xAPI knows`);
  }
  if (definition.correctResponsesPattern !== undefined) {
    array(`${path}.correctResponsesPattern`, definition.correctResponsesPattern).forEach((pattern, index) =>
      string(`${path}.correctResponsesPattern[${index}]`, pattern),
    );
  }
  for (const list of COMPONENT_LISTS) {
    if (definition[list] === undefined) continue;
    const ids = new Set<string>();
    array(`${path}.${list}`, definition[list]).forEach((component, index) => {
      const at = `${path}.${list}[${index}]`;
      const item = object(at, component, ['id', 'description'], ['id']);
      const id = string(`${at}.id`, item.id);
      if (ids.has(id)) throw invalid(`${path}.${list}: ids must be distinct`);
      ids.add(id);
      if (item.description !== undefined) languageMap(`${at}.description`, item.description);
    });
  }
}

function validateResult(path: string, value: unknown): void {
  const result = object(path, value, ['score', 'success', 'completion', 'response', 'duration', 'extensions']);
  if (result.score !== undefined) {
    const score = object(`${path}.score`, result.score, ['scaled', 'raw', 'min', 'max']);
    const [scaled, raw, min, max] = (['scaled', 'raw', 'min', 'max'] as const).map((key) =>
      score[key] === undefined ? undefined : number(`${path}.score.${key}`, score[key]),
    );
    if (scaled !== undefined && (scaled < -1 || scaled > 1)) throw invalid(`${path}.score.scaled must be in [-1, 1]`);
    if (min !== undefined && max !== undefined && min >= max) throw invalid(`${path}.score.min must be below max`);
    if (raw !== undefined && ((min !== undefined && raw < min) || (max !== undefined && raw > max))) {
      throw invalid(`${path}.score.raw must be between min and max`);
    }
  }
  if (result.success !== undefined) boolean(`${path}.success`, result.success);
  if (result.completion !== undefined) boolean(`${path}.completion`, result.completion);
  if (result.response !== undefined) string(`${path}.response`, result.response);
  if (result.duration !== undefined) duration(`${path}.duration`, result.duration);
  if (result.extensions !== undefined) extensions(`${path}.extensions`, result.extensions);
}

function validateContext(path: string, value: unknown, target: Json, version: XapiVersion): void {
  const keys = [
    'registration',
    'instructor',
    'team',
    'contextActivities',
    'revision',
    'platform',
    'language',
    'statement',
    'extensions',
  ];
  if (version === '2.0.0') keys.push('contextAgents', 'contextGroups');
  const context = object(path, value, keys);
  const activityObject = (target.objectType ?? 'Activity') === 'Activity';
  if (context.registration !== undefined) uuid(`${path}.registration`, context.registration);
  if (context.instructor !== undefined) validateActor(`${path}.instructor`, context.instructor);
  if (context.team !== undefined) validateGroup(`${path}.team`, context.team);
  for (const key of ['revision', 'platform'] as const) {
    if (context[key] === undefined) continue;
    string(`${path}.${key}`, context[key]);
    if (!activityObject) throw invalid(`${path}.${key} is only for a statement about an activity`);
  }
  if (context.language !== undefined) languageTag(`${path}.language`, context.language);
  if (context.statement !== undefined) validateStatementRef(`${path}.statement`, context.statement);
  if (context.extensions !== undefined) extensions(`${path}.extensions`, context.extensions);
  if (context.contextActivities !== undefined) {
    const lists = object(`${path}.contextActivities`, context.contextActivities, [
      'parent',
      'grouping',
      'category',
      'other',
    ]);
    for (const [key, activities] of Object.entries(lists)) {
      const at = `${path}.contextActivities.${key}`;
      if (Array.isArray(activities)) activities.forEach((activity, i) => validateActivity(`${at}[${i}]`, activity));
      else validateActivity(at, activities);
    }
  }
  for (const [key, type, property] of [
    ['contextAgents', 'contextAgent', 'agent'],
    ['contextGroups', 'contextGroup', 'group'],
  ] as const) {
    if (context[key] === undefined) continue;
    array(`${path}.${key}`, context[key]).forEach((entry, index) => {
      const at = `${path}.${key}[${index}]`;
      const item = object(at, entry, ['objectType', property, 'relevantTypes'], ['objectType', property]);
      if (item.objectType !== type) throw invalid(`${at}.objectType must be "${type}"`);
      if (property === 'agent') validateAgent(`${at}.agent`, item.agent);
      else validateGroup(`${at}.group`, item.group);
      if (item.relevantTypes !== undefined) {
        const types = array(`${at}.relevantTypes`, item.relevantTypes);
        if (types.length === 0) throw invalid(`${at}.relevantTypes must not be empty`);
        types.forEach((relevant, i) => iri(`${at}.relevantTypes[${i}]`, relevant));
      }
    });
  }
}

function validateAttachment(path: string, value: unknown): void {
  const attachment = object(
    path,
    value,
    ['usageType', 'display', 'description', 'contentType', 'length', 'sha2', 'fileUrl'],
    ['usageType', 'display', 'contentType', 'length', 'sha2'],
  );
  iri(`${path}.usageType`, attachment.usageType);
  languageMap(`${path}.display`, attachment.display);
  if (attachment.description !== undefined) languageMap(`${path}.description`, attachment.description);
  if (!/^[\w.+-]+\/[\w.+-]+/.test(string(`${path}.contentType`, attachment.contentType))) {
    throw invalid(`${path}.contentType must be a media type`);
  }
  if (!Number.isInteger(attachment.length) || (attachment.length as number) < 0) {
    throw invalid(`${path}.length must be a whole number of octets`);
  }
  if (!/^[0-9a-f]{64,128}$/i.test(string(`${path}.sha2`, attachment.sha2))) throw invalid(`${path}.sha2 must be hex`);
  if (attachment.fileUrl !== undefined) iri(`${path}.fileUrl`, attachment.fileUrl);
}
