import { isoDuration, type Launched } from './lrs';

/**
 * The xAPI video profile for one `<video>`: initialized, played, paused, seeked (time-from, time-to), completed
 * once the parts played cover COMPLETION_THRESHOLD of it, terminated when the player closes. Each carries the
 * profile's result extensions (time, progress, played-segments) and context (length, session-id); the server
 * checks the played segments itself before a completed statement satisfies the module.
 */

const EXT = 'https://w3id.org/xapi/video/extensions/';
export const COMPLETION_THRESHOLD = 0.95;

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

export function trackVideo(video: HTMLVideoElement, launched: Launched, onCompleted: () => void): () => void {
  const sessionId = crypto.randomUUID();
  const segments: [number, number][] = [];
  let start: number | null = null;
  let position = video.currentTime;
  /** When `position` was read (timeupdate comes only every quarter second or so). */
  let readAt = performance.now();
  const read = () => {
    position = video.currentTime;
    readAt = performance.now();
  };
  /** Where the video was just before a seek: the last reading, moved on by the time played since. */
  const beforeSeek = () => {
    if (start === null) return position;
    const moved = ((performance.now() - readAt) / 1000) * video.playbackRate;
    return Math.min(position + moved, length() || Infinity);
  };
  let completed = false;
  let initialized = false;

  const length = () => (Number.isFinite(video.duration) ? video.duration : 0);
  const context = () => ({ [`${EXT}length`]: round(length()), [`${EXT}session-id`]: sessionId });
  const covered = () => {
    const sorted = [...segments, ...(start === null ? [] : [[start, video.currentTime] as [number, number]])]
      .map(([a, b]) => (a <= b ? [a, b] : [b, a]))
      .sort((x, y) => x[0]! - y[0]!);
    let total = 0;
    let reached = -Infinity;
    for (const [a, b] of sorted) {
      const from = Math.max(a!, reached);
      if (b! > from) total += b! - from;
      reached = Math.max(reached, b!);
    }
    return total;
  };
  const progress = () => (length() ? Math.min(1, round(covered() / length())) : 0);
  const playedSegments = () =>
    [...segments, ...(start === null ? [] : [[start, video.currentTime] as [number, number]])]
      .map(([a, b]) => `${round(a)}[.]${round(b)}`)
      .join('[,]');
  /** Closes the segment being played at `at`; answers its length (the time spent watching since the last report). */
  const close = (at: number) => {
    if (start === null) return 0;
    segments.push([start, at]);
    const spent = Math.abs(at - start);
    start = null;
    return spent;
  };
  const state = (time: number) => ({
    [`${EXT}time`]: round(time),
    [`${EXT}progress`]: progress(),
    [`${EXT}played-segments`]: playedSegments(),
  });
  /** Sends a statement; `then` runs once the LRS has stored it (what is read back after it then includes it). */
  const report = (verb: Parameters<Launched['send']>[0], result: Record<string, unknown>, then?: () => void) =>
    void launched.send(verb, result, context()).then(then, () => undefined);

  const onLoaded = () => {
    if (initialized) return;
    initialized = true;
    report('initialized', {});
  };
  const onPlay = () => {
    read();
    start = video.currentTime;
    report('played', { extensions: { [`${EXT}time`]: round(video.currentTime) } });
  };
  const onPause = () => {
    if (video.seeking || start === null) return;
    read();
    const time = position;
    const spent = close(time);
    report('paused', { extensions: state(time), duration: isoDuration(spent) });
  };
  const onTime = () => {
    if (video.seeking) return;
    read();
    if (!completed && progress() >= COMPLETION_THRESHOLD) {
      completed = true;
      const playing = start !== null;
      const spent = close(position);
      const result = { extensions: state(position), completion: true, duration: isoDuration(spent) };
      report('completed', result, onCompleted);
      if (playing) start = position;
    }
  };
  const onSeeking = () => {
    const from = beforeSeek();
    const spent = start === null ? 0 : close(from);
    const to = video.currentTime;
    report('seeked', {
      extensions: { [`${EXT}time-from`]: round(from), [`${EXT}time-to`]: round(to) },
      duration: isoDuration(spent),
    });
    read();
    if (!video.paused) start = to;
  };
  const onEnded = () => onTime();

  const events: [string, () => void][] = [
    ['loadedmetadata', onLoaded],
    ['play', onPlay],
    ['pause', onPause],
    ['timeupdate', onTime],
    ['seeking', onSeeking],
    ['ended', onEnded],
  ];
  for (const [name, handler] of events) video.addEventListener(name, handler);
  if (video.readyState >= 1) onLoaded();
  return () => {
    for (const [name, handler] of events) video.removeEventListener(name, handler);
    const spent = close(video.currentTime);
    if (initialized) report('terminated', { extensions: state(video.currentTime), duration: isoDuration(spent) });
  };
}
