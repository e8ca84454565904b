import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * OpenTelemetry traces, exported over OTLP/HTTP to a receiver this test runs (a real HTTP server decoding the
 * JSON export): a request's span, its GraphQL operation's child, the SQL statements' grandchildren.
 */

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

const received: ExportedSpan[] = [];
let receiver: Server;
let endpoint: string;
let server: TestServer;
let stopped = false;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      expect(req.url).toBe('/v1/traces');
      expect(req.headers['content-type']).toContain('application/json');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: ExportedSpan[] }[] }[];
      };
      for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) received.push(...scope.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  server = await startTestServer({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER_ARG: '1' });
});
afterAll(async () => {
  if (!stopped) await server.stop();
  await new Promise((resolve) => receiver.close(resolve));
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

    const inTrace = received.filter((span) => span.traceId === traceId);
    const http = inTrace.find((span) => span.name === 'POST /graphql');
    expect(http, JSON.stringify(received.map((s) => s.name))).toBeDefined();
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

    const queryOperation = received.find((span) => span.traceId === queryTrace && span.name === 'query Courses');
    const reads = received.filter((span) => span.traceId === queryTrace && span.name === 'db.query');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((span) => span.parentSpanId === queryOperation!.spanId)).toBe(true);
    // A request its caller did not sample leaves no span at all (nor any of its statements).
    expect(received.filter((span) => span.traceId === unsampledTrace)).toEqual([]);
  });
});
