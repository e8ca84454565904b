/** The xAPI words cmi5 and the video profile use, and the statements the LMS itself writes. */

type Json = Record<string, unknown>;

export const VERBS = {
  launched: 'http://adlnet.gov/expapi/verbs/launched',
  initialized: 'http://adlnet.gov/expapi/verbs/initialized',
  completed: 'http://adlnet.gov/expapi/verbs/completed',
  passed: 'http://adlnet.gov/expapi/verbs/passed',
  failed: 'http://adlnet.gov/expapi/verbs/failed',
  terminated: 'http://adlnet.gov/expapi/verbs/terminated',
  abandoned: 'https://w3id.org/xapi/adl/verbs/abandoned',
  waived: 'https://w3id.org/xapi/adl/verbs/waived',
  satisfied: 'https://w3id.org/xapi/adl/verbs/satisfied',
  played: 'https://w3id.org/xapi/video/verbs/played',
  paused: 'https://w3id.org/xapi/video/verbs/paused',
  seeked: 'https://w3id.org/xapi/video/verbs/seeked',
} as const;

export const CMI5_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/cmi5';
export const EXTENSIONS = {
  sessionId: 'https://w3id.org/xapi/cmi5/context/extensions/sessionid',
  launchMode: 'https://w3id.org/xapi/cmi5/context/extensions/launchmode',
  launchUrl: 'https://w3id.org/xapi/cmi5/context/extensions/launchurl',
  moveOn: 'https://w3id.org/xapi/cmi5/context/extensions/moveon',
  launchParameters: 'https://w3id.org/xapi/cmi5/context/extensions/launchparameters',
  reason: 'https://w3id.org/xapi/cmi5/result/extensions/reason',
  videoTime: 'https://w3id.org/xapi/video/extensions/time',
  videoTimeTo: 'https://w3id.org/xapi/video/extensions/time-to',
  videoTimeFrom: 'https://w3id.org/xapi/video/extensions/time-from',
  videoProgress: 'https://w3id.org/xapi/video/extensions/progress',
  videoPlayedSegments: 'https://w3id.org/xapi/video/extensions/played-segments',
  videoLength: 'https://w3id.org/xapi/video/extensions/length',
  videoSessionId: 'https://w3id.org/xapi/video/extensions/session-id',
} as const;

/** A video counts as watched when the parts played cover this share of its length. */
export const VIDEO_WATCHED_SHARE = 0.95;

/** Seconds covered by the video profile's played segments ("0[.]12.5[,]30[.]41"), overlaps counted once. */
export function playedSeconds(segments: unknown): number {
  if (typeof segments !== 'string' || segments === '') return 0;
  const spans = segments
    .split('[,]')
    .map((part) => part.split('[.]').map(Number))
    .filter((pair): pair is [number, number] => pair.length === 2 && pair.every(Number.isFinite))
    .map(([a, b]) => (a <= b ? [a, b] : [b, a]))
    .sort((x, y) => x[0]! - y[0]!);
  let covered = 0;
  let reached = -Infinity;
  for (const [start, end] of spans) {
    const from = Math.max(start!, reached);
    if (end! > from) covered += end! - from;
    reached = Math.max(reached, end!);
  }
  return covered;
}

/** The activity id of a module that is not an AU (a video or document the web app reports on). */
export const moduleActivityId = (moduleId: string) => `urn:uuid:${moduleId}`;

/** The learner as the launch names them: an account of this API, as cmi5 requires. */
export const learnerAgent = (publicUrl: string, userId: string, name: string | null): Json => ({
  objectType: 'Agent',
  ...(name ? { name } : {}),
  account: { homePage: publicUrl, name: userId },
});

/** Who the LMS's own statements come from. */
export const lmsAuthority = (publicUrl: string): Json => ({
  objectType: 'Agent',
  name: 'Safety Training LMS',
  account: { homePage: publicUrl, name: 'lms' },
});

export interface SessionContext {
  registration: string;
  sessionId: string;
  /** The AU (publisher) id, in the grouping as cmi5 requires when the launch's activity id is its own. */
  activityId: string;
}

/** The context every statement of a launch session carries (LMS.LaunchData's contextTemplate, and the LMS's own). */
export const sessionContext = (session: SessionContext, extensions: Json = {}): Json => ({
  registration: session.registration,
  contextActivities: {
    category: [{ id: CMI5_CATEGORY }],
    grouping: [{ id: session.activityId }],
  },
  extensions: { [EXTENSIONS.sessionId]: session.sessionId, ...extensions },
});

/** A statement the LMS writes about a session's AU (launched, abandoned, waived) or the course (satisfied). */
export function lmsStatement(
  verb: keyof typeof VERBS,
  actor: Json,
  objectId: string,
  context: Json,
  result?: Json,
): Json {
  return {
    actor,
    verb: { id: VERBS[verb], display: { 'en-US': verb } },
    object: { objectType: 'Activity', id: objectId },
    context,
    ...(result ? { result } : {}),
    timestamp: new Date().toISOString(),
  };
}

/** Seconds of an ISO 8601 duration (PT1H2M3.5S; days count as 24 h), or 0 when it is not one. */
export function durationSeconds(value: unknown): number {
  if (typeof value !== 'string') return 0;
  const match = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
    value,
  );
  if (!match) return 0;
  const [, d, h, m, s] = match.map((part) => Number(part ?? 0));
  return d! * 86400 + h! * 3600 + m! * 60 + s!;
}
