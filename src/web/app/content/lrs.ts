/**
 * The browser's side of reporting to the LRS. `launchModule` answers a URL carrying cmi5's launch parameters; its
 * fetch URL gives, once, a token scoped to this learner and this assignment (the LRS refuses statements of anyone
 * else or of another registration), so the tenant's LRS credentials never reach the browser.
 */

import { i18n } from '../i18n';

type Json = Record<string, unknown>;

export const VERBS = {
  initialized: 'http://adlnet.gov/expapi/verbs/initialized',
  played: 'https://w3id.org/xapi/video/verbs/played',
  paused: 'https://w3id.org/xapi/video/verbs/paused',
  seeked: 'https://w3id.org/xapi/video/verbs/seeked',
  completed: 'http://adlnet.gov/expapi/verbs/completed',
  terminated: 'http://adlnet.gov/expapi/verbs/terminated',
  experienced: 'http://adlnet.gov/expapi/verbs/experienced',
} as const;
export type Verb = keyof typeof VERBS;

const VIDEO_ACTIVITY = 'https://w3id.org/xapi/video/activity-type/video';
const DOCUMENT_ACTIVITY = 'http://id.tincanapi.com/activitytype/document';

export interface Launched {
  /** Where the module opens (the launch URL without its launch parameters). */
  location: string;
  send: (verb: Verb, result?: Json, contextExtensions?: Json) => Promise<void>;
}

/** Same-origin path of an URL the server built with its public URL (the page may be served under another host). */
const local = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
};

/** Reads a launch URL, fetches its token and answers a sender of statements about the module, in order. */
export async function openLaunch(launchUrl: string, kind: 'video' | 'document', title: string): Promise<Launched> {
  const url = new URL(launchUrl);
  const q = url.searchParams;
  const [endpoint, fetchUrl, actor, registration, activityId] = [
    'endpoint',
    'fetch',
    'actor',
    'registration',
    'activityId',
  ].map((name) => q.get(name) ?? '');
  for (const name of ['endpoint', 'fetch', 'actor', 'registration', 'activityId']) q.delete(name);
  const answer = (await (await fetch(local(fetchUrl!), { method: 'POST' })).json()) as Json;
  const token = answer['auth-token'];
  if (typeof token !== 'string') throw new Error(String(answer['error-text'] ?? i18n.t('content.noToken')));
  const statements = local(`${endpoint}statements`);
  const object = {
    objectType: 'Activity',
    id: activityId,
    definition: { name: { en: title }, type: kind === 'video' ? VIDEO_ACTIVITY : DOCUMENT_ACTIVITY },
  };
  let queue = Promise.resolve();
  const send = (verb: Verb, result?: Json, contextExtensions?: Json) => {
    const statement = {
      actor: JSON.parse(actor!) as Json,
      verb: { id: VERBS[verb], display: { en: verb } },
      object,
      context: { registration, ...(contextExtensions ? { extensions: contextExtensions } : {}) },
      ...(result ? { result } : {}),
      timestamp: new Date().toISOString(),
    };
    // One after another, so the LRS stores them in the order they happened; a refusal does not stop the next.
    const sent = queue.then(async () => {
      const response = await fetch(statements, {
        method: 'POST',
        headers: {
          authorization: `Basic ${token}`,
          'x-experience-api-version': '2.0.0',
          'content-type': 'application/json',
        },
        body: JSON.stringify(statement),
        keepalive: true,
      });
      if (!response.ok) throw new Error(i18n.t('content.refused', { verb, status: response.status }));
    });
    queue = sent.catch(() => undefined);
    return sent;
  };
  return { location: local(url.toString()), send };
}

/** An ISO 8601 duration of `seconds` (what xAPI's result.duration takes). */
export const isoDuration = (seconds: number) => `PT${Math.max(0, Math.round(seconds * 100) / 100)}S`;
