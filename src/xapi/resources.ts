import { agentParameter } from './agents.js';
import { invalid } from './errors.js';
import type { XapiReply, XapiRequest } from './request.js';
import { iri, type Json } from './rules.js';

/** The Activities and Agents resources (GET), and About. */

export const VERSIONS = ['1.0.3', '2.0.0'];

export const about = (): XapiReply => ({ status: 200, body: { version: VERSIONS } });

function only(request: XapiRequest, allowed: string): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') throw invalid(`${request.method} is not allowed here`);
  for (const name of request.params.keys()) if (name !== allowed) throw invalid(`unknown parameter ${name}`);
}

export async function activityResource(request: XapiRequest): Promise<XapiReply> {
  only(request, 'activityId');
  const id = request.params.get('activityId');
  if (id === null) throw invalid('activityId is required');
  iri('activityId', id);
  const [row] = await request.tx.$queryRaw<{ definition: Json | null }[]>`
    SELECT definition FROM xapi_activities WHERE tenant_id = ${request.tenantId}::uuid AND id = ${id}`;
  // An activity no statement named yet is still an Activity, with no definition.
  return {
    status: 200,
    body: { objectType: 'Activity', id, ...(row?.definition ? { definition: row.definition } : {}) },
  };
}

/** The Person an agent names: this LRS keeps no identity links, so it is the agent's own identifiers. */
export function agentResource(request: XapiRequest): XapiReply {
  only(request, 'agent');
  const agent = agentParameter('agent', request.params.get('agent'), true)!;
  const person: Json = { objectType: 'Person' };
  for (const key of ['name', 'mbox', 'mbox_sha1sum', 'openid', 'account']) {
    if (agent[key] !== undefined) person[key] = [agent[key]];
  }
  return { status: 200, body: person };
}
