import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationNamesOf } from '../../src/core/telemetry/metrics.js';
import * as operations from '../../src/generated/operations/graphql.js';
import {
  AssignTrainingCourseDocument,
  CreateTrainingCourseDocument,
  TrainingAssignmentCreatedDocument,
} from '../../src/generated/operations/graphql.js';
import { onPostgres } from '../support/database.js';
import { dayFromToday, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';
import { liveClient, subscribe, subscribersReach } from '../support/ws.js';

/**
 * `/metrics` (METRICS_PORT): Prometheus' text format on a listener of its own, with every series of the
 * operators' list, and a number of series that no client can grow.
 */

let server: TestServer;
let admin: Actor;
let worker: Actor;

beforeAll(async () => {
  server = await startTestServer({ METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' });
  admin = await server.actor('admin');
  worker = await server.actor('worker', { tenantId: admin.tenantId });
});
afterAll(() => server.stop());

const scrape = async () => {
  const response = await fetch(server.app.metricsUrl!);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
};

/** The label sets of one series' samples (`name{labels} value` lines). */
const samples = (text: string, name: string) =>
  text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => ({
      labels: /\{(.*)\}/.exec(line)?.[1] ?? '',
      value: Number(line.slice(line.lastIndexOf(' ') + 1)),
    }));

const label = (labels: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1];

describe('metrics', () => {
  it('is served on its own port only: the API port has no /metrics', async () => {
    expect(server.app.metricsUrl).toBeDefined();
    expect(new URL(server.app.metricsUrl!).port).not.toBe(new URL(server.url).port);
    // (the web app answers every other path with its page)
    expect(await (await fetch(new URL('/metrics', server.url))).text()).not.toContain('# TYPE');
    expect((await fetch(new URL('/other', server.app.metricsUrl))).status).toBe(404);
  });

  it('has the series of every concern: HTTP, operations, errors, live, outbox, jobs, event loop (and the pool)', async () => {
    const live = liveClient(server.url, worker.token);
    const subscription = subscribe(live, TrainingAssignmentCreatedDocument, {});
    await subscribersReach(server.app, 1);
    const course = (
      await ok(admin.request(CreateTrainingCourseDocument, { input: { title: 'Metered', category: 'OTHER' } }))
    ).createTrainingCourse;
    await ok(
      admin.request(AssignTrainingCourseDocument, {
        input: { courseId: course.id, userId: worker.userId, dueDate: dayFromToday(7) },
      }),
    );
    await subscription.until((s) => s.data.length === 1);
    await worker.request(CreateTrainingCourseDocument, { input: { title: 'Not mine', category: 'OTHER' } });

    const text = await scrape();
    expect(samples(text, 'live_subscribers')[0]?.value).toBe(1);
    subscription.unsubscribe();
    await live.dispose();

    const http = samples(text, 'http_request_duration_seconds_count');
    expect(http.some(({ labels }) => label(labels, 'route') === '/graphql' && label(labels, 'status') === '200')).toBe(
      true,
    );
    const ops = samples(text, 'graphql_operation_duration_seconds_count');
    expect(ops.find(({ labels }) => labels === 'type="mutation",name="CreateTrainingCourse"')?.value).toBe(2);
    expect(samples(text, 'graphql_errors_total').find(({ labels }) => labels === 'code="FORBIDDEN"')?.value).toBe(1);
    expect(samples(text, 'live_commit_to_delivery_seconds_count')[0]?.value).toBe(1);
    // The assignment queued its e-mail (the deliverer is off in tests).
    expect(
      samples(text, 'email_outbox_messages').find(({ labels }) => labels === 'state="backlog"')?.value,
    ).toBeGreaterThan(0);
    expect(samples(text, 'email_outbox_messages').find(({ labels }) => labels === 'state="failed"')?.value).toBe(0);
    expect(text).toContain('# TYPE scheduled_job_runs_total counter');
    expect(text).toContain('# TYPE scheduled_job_duration_seconds histogram');
    expect(samples(text, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    if (onPostgres) {
      const pool = samples(text, 'db_pool_connections').map(({ labels }) => label(labels, 'state'));
      expect(pool.sort()).toEqual(['idle', 'in_use', 'waiting']);
    }
  });

  it('1,000 random operation names add no series: unknown names count as "other"', { timeout: 180_000 }, async () => {
    const known = operationNamesOf(operations);
    const before = samples(await scrape(), 'graphql_operation_duration_seconds_count');
    const names = Array.from({ length: 1_000 }, () => `Random_${randomBytes(6).toString('hex')}`);
    for (let start = 0; start < names.length; start += 25) {
      await Promise.all(names.slice(start, start + 25).map((name) => admin.request(`query ${name} { __typename }`)));
    }
    const after = samples(await scrape(), 'graphql_operation_duration_seconds_count');

    const seriesNames = new Set(after.map(({ labels }) => label(labels, 'name')!));
    expect([...seriesNames].filter((name) => name !== 'other' && !known.has(name))).toEqual([]);
    // One more series at most (query/other), however many names were sent.
    expect(after.length).toBeLessThanOrEqual(before.length + 1);
    const other = (list: typeof after) => list.find(({ labels }) => labels === 'type="query",name="other"')?.value ?? 0;
    expect(other(after) - other(before)).toBe(1_000);
    // And every series of the whole registry is bounded the same way: nothing carries a random name.
    expect((await scrape()).includes('Random_')).toBe(false);
  });
});
