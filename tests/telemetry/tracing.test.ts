import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type ExportedSpan, type OtlpReceiver } from '../support/otlp.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * OpenTelemetry traces, exported over OTLP/HTTP to a receiver this test runs (a real HTTP server decoding the
 * JSON export): a request's span, its GraphQL operation's child, the SQL statements' grandchildren.
 */

let receiver: OtlpReceiver;
let server: TestServer;
let stopped = false;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  server = await startTestServer({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER_ARG: '1' });
});
afterAll(async () => {
  if (!stopped) await server.stop();
  await receiver.close();
});

const attribute = (span: ExportedSpan, key: string) => span.attributes.find((a) => a.key === key)?.value.stringValue;

describe('traces', () => {
  it('request → GraphQL operation → SQL statements, continuing the caller’s traceparent', async () => {
    const admin = await server.actor('admin');
    await admin.request('{ me { id } }');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const response = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${admin.token}`,
        traceparent: `00-${traceId}-${callerSpan}-01`,
      },
      body: JSON.stringify({
        query:
          'mutation CreateTrainingCourse($input: CreateTrainingCourseInput!) { createTrainingCourse(input: $input) { id } }',
        variables: { input: { title: 'Traced', category: 'OTHER' } },
      }),
    });
    expect(response.status).toBe(200);

    // A query (its reads share one transaction: a read lane on PostgreSQL), and one whose caller did not sample it.
    const queryTrace = '5cf92f3577b34da6a3ce929d0e0e4737';
    const unsampledTrace = '6df92f3577b34da6a3ce929d0e0e4738';
    for (const [id, flags] of [
      [queryTrace, '01'],
      [unsampledTrace, '00'],
    ]) {
      const read = await fetch(server.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${admin.token}`,
          traceparent: `00-${id}-${callerSpan}-${flags}`,
        },
        body: JSON.stringify({ query: 'query Courses { trainingCourses(first: 5) { totalCount nodes { id } } }' }),
      });
      expect(read.status).toBe(200);
    }

    await server.stop(); // flushes the exporter
    stopped = true;

    const inTrace = receiver.spans.filter((span) => span.traceId === traceId);
    const http = inTrace.find((span) => span.name === 'POST /graphql');
    expect(http, JSON.stringify(receiver.spans.map((s) => s.name))).toBeDefined();
    expect(http!.parentSpanId).toBe(callerSpan);
    const operation = inTrace.find((span) => span.name === 'mutation CreateTrainingCourse');
    expect(operation?.parentSpanId).toBe(http!.spanId);
    expect(attribute(operation!, 'graphql.operation.name')).toBe('CreateTrainingCourse');
    const statements = inTrace.filter((span) => span.name === 'db.query');
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.every((span) => span.parentSpanId === operation!.spanId)).toBe(true);
    expect(
      statements.some((span) => /INSERT INTO .*training_courses/.test(attribute(span, 'db.query.text') ?? '')),
    ).toBe(true);
    // Parameters are never exported: the course's title is in no span.
    expect(JSON.stringify(inTrace)).not.toContain('Traced');

    const queryOperation = receiver.spans.find((span) => span.traceId === queryTrace && span.name === 'query Courses');
    const reads = receiver.spans.filter((span) => span.traceId === queryTrace && span.name === 'db.query');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((span) => span.parentSpanId === queryOperation!.spanId)).toBe(true);
    // A request its caller did not sample leaves no span at all (nor any of its statements).
    expect(receiver.spans.filter((span) => span.traceId === unsampledTrace)).toEqual([]);
  });
});
