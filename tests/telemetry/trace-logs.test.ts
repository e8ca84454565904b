import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CreateTrainingCourseDocument,
  QualificationChangedDocument,
  TrainingCoursesDocument,
} from '../../src/generated/operations/graphql.js';
import { createLogger } from '../../src/core/logger.js';
import { createDeliverer } from '../../src/notifications/deliverer.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp.js';
import { ok, startTestServer, type TestServer } from '../support/server.js';
import { liveClient, subscribe } from '../support/ws.js';
import { eventually } from '../support/wait.js';

/**
 * Every log line a request (or a unit of background work: an e-mail round, a job's run) writes carries its trace id, whether the request is sampled, left out by its caller's
 * `traceparent`, or tracing is off: the `traceparent`'s trace id when it came with a valid one, else a new one;
 * a sampled request's lines carry its span id too. Lines are read from the app's real logger (a captured pino
 * destination) while real requests run against real servers.
 */

interface LogLine {
  msg: string;
  trace_id?: string;
  span_id?: string;
  [field: string]: unknown;
}

const lines: LogLine[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(JSON.parse(chunk.toString('utf8')) as LogLine);
    done();
  },
});
const logger = createLogger('info', sink);

/** Receives the traced server's spans, to match a sampled line's span id against. */
let receiver: OtlpReceiver;
let traced: TestServer;
let untraced: TestServer;
let tracedStopped = false;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // Requests without a traceparent are never sampled here: only a caller's sampled flag makes a span.
  traced = await startTestServer(
    { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER_ARG: '0' },
    { logger },
  );
  untraced = await startTestServer({}, { logger });
});
afterAll(async () => {
  if (!tracedStopped) await traced.stop();
  await untraced.stop();
  await receiver.close();
});

const newTraceId = () => randomBytes(16).toString('hex');
const traceparent = (traceId: string, sampled: boolean) => `00-${traceId}-00f067aa0ba902b7-${sampled ? '01' : '00'}`;
const linesSaying = (message: string) => lines.filter((line) => line.msg === message);

/** A GraphQL request as `token`'s caller, with `headers` (a traceparent). */
async function graphql(server: TestServer, token: string, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
}

/**
 * A caller whose profile cannot be written (a check the test adds refuses its name): each of its requests logs
 * "could not record the caller profile" after awaiting the write, and is answered 503 (INTERNAL_SERVER_ERROR, retry shortly).
 */
async function unrecordable(server: TestServer) {
  // Two statements: Citus runs no ADD CONSTRAINT with other subcommands.
  await server.owner.query('ALTER TABLE profiles DROP CONSTRAINT IF EXISTS refused_name');
  await server.owner.query(
    `ALTER TABLE profiles ADD CONSTRAINT refused_name CHECK (display_name IS DISTINCT FROM 'Refused')`,
  );
  return server.actor('admin', { name: 'Refused' });
}
const PROFILE_FAILED = 'could not record the caller profile';

describe('the trace id on every log line', () => {
  it('a line written after an await carries the traceparent’s trace id, sampled (with its span id) or not', async () => {
    const sampledTrace = newTraceId();
    const unsampledTrace = newTraceId();
    const caller = await unrecordable(traced);
    for (const [traceId, sampled] of [
      [sampledTrace, true],
      [unsampledTrace, false],
    ] as const) {
      const response = await graphql(traced, caller.token, '{ me { id } }', {
        traceparent: traceparent(traceId, sampled),
      });
      expect(response.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    }
    // Tracing is the process's: it is off once the traced server has stopped (which flushes its exporter).
    await traced.stop();
    tracedStopped = true;

    const [sampledLine, unsampledLine, ...more] = linesSaying(PROFILE_FAILED);
    expect(more).toEqual([]);
    expect(unsampledLine).toMatchObject({ trace_id: unsampledTrace });
    expect(unsampledLine!.span_id).toBeUndefined();
    // The sampled line names the request's GraphQL operation span, as exported.
    expect(sampledLine).toMatchObject({ trace_id: sampledTrace, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const span = receiver.spans.find((candidate) => candidate.spanId === sampledLine!.span_id);
    expect(span).toMatchObject({ traceId: sampledTrace, name: 'graphql' });
  });

  it('tracing off: the traceparent’s trace id, else a new one per request', async () => {
    expect(tracedStopped).toBe(true);
    const traceId = newTraceId();
    const caller = await unrecordable(untraced);
    const before = linesSaying(PROFILE_FAILED).length;
    await graphql(untraced, caller.token, '{ me { id } }', { traceparent: traceparent(traceId, true) });
    await graphql(untraced, caller.token, '{ me { id } }');
    await graphql(untraced, caller.token, '{ me { id } }', { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` });

    const failed = linesSaying(PROFILE_FAILED).slice(before);
    expect(failed.map((line) => line.trace_id)).toEqual([
      traceId,
      expect.stringMatching(/^[0-9a-f]{32}$/),
      expect.stringMatching(/^[0-9a-f]{32}$/),
    ]);
    expect(new Set(failed.map((line) => line.trace_id)).size).toBe(3);
    expect(failed.map((line) => line.span_id)).toEqual([undefined, undefined, undefined]);
  });

  it('lines of concurrent requests never carry each other’s trace ids', async () => {
    const caller = await unrecordable(untraced);
    const traceIds = Array.from({ length: 8 }, newTraceId);
    const before = linesSaying(PROFILE_FAILED).length;
    await Promise.all(
      traceIds.map((traceId, index) =>
        graphql(untraced, caller.token, '{ me { id } }', { traceparent: traceparent(traceId, index % 2 === 0) }),
      ),
    );
    const failed = linesSaying(PROFILE_FAILED).slice(before);
    expect(failed).toHaveLength(traceIds.length);
    expect(new Set(failed.map((line) => line.trace_id))).toEqual(new Set(traceIds));
  });

  it('background work: each e-mail round’s lines share one trace id of their own', async () => {
    const admin = await untraced.actor('admin');
    const course = await ok(
      admin.request(CreateTrainingCourseDocument, { input: { title: 'Lockout', category: 'HAZARD_AWARENESS' } }),
    );
    const assignTo = async (email: string) => {
      const worker = await untraced.actor('worker', { tenantId: admin.tenantId, email });
      await ok(worker.request('{ me { id } }'));
      const input = { courseId: course.createTrainingCourse.id, userId: worker.userId };
      await ok(admin.request(AssignTrainingCourseDocument, { input }));
    };
    const mailDir = mkdtempSync(path.join(tmpdir(), 'trace-mail-'));
    const deliverer = createDeliverer({
      prisma: untraced.db.prisma,
      logger,
      config: {
        smtpUrl: undefined,
        mailFrom: 'training@example.com',
        mailDir,
        publicUrl: 'https://training.example.com',
        emailPollMs: undefined,
        emailMaxAttempts: 3,
        emailRetryBaseMs: 20,
        emailBatchSize: 50,
        emailBatchPerTenant: 50,
      },
    });
    try {
      const roundOf = async (emails: string[]) => {
        const before = linesSaying('e-mail written (no SMTP_URL)').length;
        for (const email of emails) await assignTo(email);
        expect(await deliverer.runOnce()).toMatchObject({ sent: emails.length });
        return linesSaying('e-mail written (no SMTP_URL)').slice(before);
      };
      const first = await roundOf(['ana@example.com', 'bo@example.com']);
      const second = await roundOf(['cy@example.com']);
      expect(first).toHaveLength(2);
      expect(first[0]!.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(first[1]!.trace_id).toBe(first[0]!.trace_id);
      expect(second[0]!.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(second[0]!.trace_id).not.toBe(first[0]!.trace_id);
    } finally {
      await deliverer.stop();
      rmSync(mailDir, { recursive: true, force: true });
    }
  });

  describe('with a statement failing unexpectedly (its table renamed away)', () => {
    let admin: Awaited<ReturnType<TestServer['actor']>>;
    beforeAll(async () => {
      admin = await untraced.actor('admin');
      await admin.request(TrainingCoursesDocument, {}); // the profile recorded before the table goes
      await untraced.owner.query('ALTER TABLE training_courses RENAME TO training_courses_away');
    });
    afterAll(() => untraced.owner.query('ALTER TABLE training_courses_away RENAME TO training_courses'));

    it('a masked error’s line carries its request’s trace id', async () => {
      const traceId = newTraceId();
      const response = await graphql(untraced, admin.token, '{ trainingCourses(first: 1) { totalCount } }', {
        traceparent: traceparent(traceId, true),
      });
      expect(response.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(linesSaying('unexpected error while resolving').at(-1)).toMatchObject({ trace_id: traceId });
    });

    it('a failed export’s line (a route beside GraphQL) carries its request’s trace id', async () => {
      const traceId = newTraceId();
      const before = linesSaying('training records export failed').length;
      await fetch(`${untraced.url.replace(/\/graphql$/, '')}/exports/training-records.csv`, {
        headers: { authorization: `Bearer ${admin.token}`, traceparent: traceparent(traceId, false) },
      })
        .then((response) => response.text())
        .catch(() => undefined); // the server cuts an export it cannot finish
      await eventually(() => linesSaying('training records export failed').length > before, 10_000);
      expect(linesSaying('training records export failed').at(-1)).toMatchObject({ trace_id: traceId });
    });

    it('a WebSocket operation’s masked error carries a trace id of its own', async () => {
      const live = liveClient(untraced.url, admin.token);
      try {
        const before = linesSaying('unexpected error while resolving').length;
        const first = subscribe(live, QualificationChangedDocument, { zoneId: randomUUID() });
        const second = subscribe(live, QualificationChangedDocument, { zoneId: randomUUID() });
        for (const subscription of [first, second]) {
          await subscription.until((s) => s.completed || s.results.some((result) => result.errors));
        }
        const masked = linesSaying('unexpected error while resolving').slice(before);
        expect(masked).toHaveLength(2);
        expect(masked.every((line) => /^[0-9a-f]{32}$/.test(line.trace_id ?? ''))).toBe(true);
        expect(masked[0]!.trace_id).not.toBe(masked[1]!.trace_id);
      } finally {
        await live.dispose();
      }
    });
  });
});
