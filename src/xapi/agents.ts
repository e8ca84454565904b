import { invalid } from './errors.js';
import { array, iri, mbox, object, sha1, string, type Json } from './rules.js';

/** Agents and groups: their validation and the key (inverse functional identifier) they are found by. */

const IFIS = ['mbox', 'mbox_sha1sum', 'openid', 'account'] as const;
const AGENT_KEYS = ['objectType', 'name', ...IFIS];
const GROUP_KEYS = [...AGENT_KEYS, 'member'];

function identifiers(path: string, value: Json): number {
  let count = 0;
  if (value.mbox !== undefined) {
    mbox(`${path}.mbox`, value.mbox);
    count++;
  }
  if (value.mbox_sha1sum !== undefined) {
    sha1(`${path}.mbox_sha1sum`, value.mbox_sha1sum);
    count++;
  }
  if (value.openid !== undefined) {
    iri(`${path}.openid`, value.openid);
    count++;
  }
  if (value.account !== undefined) {
    const account = object(`${path}.account`, value.account, ['homePage', 'name'], ['homePage', 'name']);
    iri(`${path}.account.homePage`, account.homePage);
    string(`${path}.account.name`, account.name);
    count++;
  }
  if (value.name !== undefined) string(`${path}.name`, value.name);
  return count;
}

export function validateAgent(path: string, value: unknown): Json {
  const agent = object(path, value, AGENT_KEYS);
  if (agent.objectType !== undefined && agent.objectType !== 'Agent')
    throw invalid(`${path}.objectType must be "Agent"`);
  if (identifiers(path, agent) !== 1) throw invalid(`${path} must have exactly one inverse functional identifier`);
  return agent;
}

export function validateGroup(path: string, value: unknown): Json {
  const group = object(path, value, GROUP_KEYS, ['objectType']);
  if (group.objectType !== 'Group') throw invalid(`${path}.objectType must be "Group"`);
  const count = identifiers(path, group);
  if (count > 1) throw invalid(`${path} must have at most one inverse functional identifier`);
  if (group.member !== undefined) {
    array(`${path}.member`, group.member).forEach((member, index) => validateAgent(`${path}.member[${index}]`, member));
  }
  if (count === 0 && (!Array.isArray(group.member) || group.member.length === 0)) {
    throw invalid(`${path}: an anonymous group must list its members`);
  }
  return group;
}

/** An actor, instructor or authority: an Agent, or a Group when objectType says so. */
export function validateActor(path: string, value: unknown): Json {
  const actor = object(path, value, GROUP_KEYS);
  return actor.objectType === 'Group' ? validateGroup(path, actor) : validateAgent(path, actor);
}

/** The key an agent or identified group is matched by; an anonymous group's is derived from its members. */
export function agentKey(agent: Json): string {
  if (typeof agent.mbox === 'string') return `mbox:${agent.mbox.toLowerCase()}`;
  if (typeof agent.mbox_sha1sum === 'string') return `sha1:${agent.mbox_sha1sum.toLowerCase()}`;
  if (typeof agent.openid === 'string') return `openid:${agent.openid}`;
  const account = agent.account as Json | undefined;
  if (account) return `account:${String(account.homePage)}|${String(account.name)}`;
  const members = (agent.member as Json[] | undefined) ?? [];
  return `group:${members.map(agentKey).sort().join(',')}`;
}

/** The keys an actor stands for: itself, and a group's members. */
export function agentKeys(agent: Json): string[] {
  const members = Array.isArray(agent.member) ? (agent.member as Json[]).map(agentKey) : [];
  return [agentKey(agent), ...members];
}

/** An agent given as a query parameter (JSON), validated. */
export function agentParameter(name: string, text: string | null, required: boolean): Json | undefined {
  if (text === null) {
    if (required) throw invalid(`${name} is required`);
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(`${name} must be JSON`);
  }
  return validateActor(name, value);
}

/** Only the identifying properties, for format=ids. */
export function agentIds(agent: Json): Json {
  const ids: Json = {};
  if (agent.objectType !== undefined) ids.objectType = agent.objectType;
  for (const key of IFIS) if (agent[key] !== undefined) ids[key] = agent[key];
  if (agent.objectType === 'Group' && Object.keys(ids).length === 1 && Array.isArray(agent.member)) {
    ids.member = (agent.member as Json[]).map(agentIds);
  }
  return ids;
}
