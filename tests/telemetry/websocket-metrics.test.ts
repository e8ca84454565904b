import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingAssignmentCreatedDocument } from '../../src/generated/operations/graphql.js';
import { startTestServer, type Actor, type TestServer } from '../support/server.js';
import { liveClient, subscribe, subscribersReach, subscriptionErrors } from '../support/ws.js';

/**
 * GraphQL over WebSocket in the metrics, as over HTTP: each operation in graphql_operation_duration_seconds by
 * type and name (a name outside the published operations as "other"), and the errors sent by code.
 */

let server: TestServer;
let worker: Actor;

beforeAll(async () => {
  server = await startTestServer({ METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' });
  worker = await server.actor('worker');
});
afterAll(() => server.stop());

const scrape = async () => (await fetch(server.app.metricsUrl!)).text();
const value = (text: string, series: string, labels: string) =>
  Number(
    text
      .split('\n')
      .find((line) => line.startsWith(`${series}{${labels}} `))
      ?.split(' ')
      .at(-1) ?? 0,
  );
const operations = (text: string, labels: string) => value(text, 'graphql_operation_duration_seconds_count', labels);
const errors = (text: string, code: string) => value(text, 'graphql_errors_total', `code="${code}"`);

describe('WebSocket operations in the metrics', () => {
  it('counts a started subscription by type and name, an unknown name as "other", and refusals with their codes', async () => {
    const before = await scrape();
    const live = liveClient(server.url, worker.token);
    try {
      const known = subscribe(live, TrainingAssignmentCreatedDocument, {});
      const unnamed = subscribe(live, 'subscription Random_4f2a { trainingAssignmentCreated { id } }');
      await subscribersReach(server.app, 2);
      expect(await subscriptionErrors(live, 'query Mine { __typename }')).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_REQUEST' }) }),
      ]);
      const invalid = await subscriptionErrors(live, 'subscription { noSuchField }');
      expect(invalid[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

      const after = await scrape();
      const delta = (labels: string) => operations(after, labels) - operations(before, labels);
      expect(delta('type="subscription",name="TrainingAssignmentCreated"')).toBe(1);
      expect(delta('type="subscription",name="other"')).toBe(1);
      expect(delta('type="query",name="other"')).toBe(1);
      expect(delta('type="other",name="other"')).toBe(1);
      expect(errors(after, 'BAD_REQUEST') - errors(before, 'BAD_REQUEST')).toBe(1);
      expect(errors(after, 'GRAPHQL_VALIDATION_FAILED') - errors(before, 'GRAPHQL_VALIDATION_FAILED')).toBe(1);
      expect(after.includes('Random_4f2a')).toBe(false);
      known.unsubscribe();
      unnamed.unsubscribe();
    } finally {
      await live.dispose();
    }
  });
});
