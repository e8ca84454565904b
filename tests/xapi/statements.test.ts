import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  credentialOf,
  multipart,
  MULTIPART,
  statement,
  VERBS,
  withAttachment,
  type LrsClient,
} from '../support/xapi.js';
import { setupTimeout } from '../support/citus.js';

/**
 * The Statement Resource over real HTTP: storing (POST, PUT, batches, attachments), reading (by id, filters,
 * `more`), voiding, refusals with nothing stored, one tenant's credential never seeing another's statements, and
 * a batch written set-based (every statement Prisma sends is logged).
 */

let server: TestServer;
let lrs: LrsClient;
let other: LrsClient;
const sent: string[] = [];

beforeAll(async () => {
  server = await startTestServer({}, { onQuery: (sql) => sent.push(sql) });
  lrs = await credentialOf(server, await server.actor('admin'));
  other = await credentialOf(server, await server.actor('admin'));
}, setupTimeout(60_000));
afterAll(() => server?.stop());

const count = (tenantWhere = 'true') => server.owner.count('xapi_statements', tenantWhere);
const post = (client: LrsClient, body: unknown) => client.send('statements', { method: 'POST', body });

describe('storing statements', () => {
  it('stores a batch and answers its ids in order; GET by id gives each back with stored, authority, version', async () => {
    const batch = [statement(), statement('b@example.com')];
    const response = await post(lrs, batch);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-experience-api-version')).toBe('2.0.0');
    expect(await response.json()).toEqual(batch.map((s) => s.id));

    const one = await lrs.send(`statements?statementId=${batch[1]!.id}`);
    expect(one.status).toBe(200);
    const stored = (await one.json()) as Record<string, unknown>;
    expect(stored).toMatchObject({ ...batch[1], version: '2.0.0', authority: { objectType: 'Agent' } });
    expect(typeof stored.stored).toBe('string');
  });

  it('PUT stores under statementId; the same id with other content is a 409, with the same content a no-op', async () => {
    const s = statement();
    const { id, ...body } = s;
    expect((await lrs.send(`statements?statementId=${id}`, { method: 'PUT', body })).status).toBe(204);
    expect((await lrs.send(`statements?statementId=${id}`, { method: 'PUT', body })).status).toBe(204);
    const changed = { ...body, verb: { id: VERBS.experienced } };
    expect((await lrs.send(`statements?statementId=${id}`, { method: 'PUT', body: changed })).status).toBe(409);
    expect(await count(`id = '${id}'`)).toBe(1);
  });

  it('refuses an invalid statement in a batch with 400 and stores none of the batch', async () => {
    const before = await count();
    const bad = { ...statement(), verb: { id: 'not an iri' } };
    const response = await post(lrs, [statement(), bad]);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/statements\[1\].*verb\.id/);
    expect(await post(lrs, { ...statement(), unknown: true }).then((r) => r.status)).toBe(400);
    expect(await count()).toBe(before);
  });

  it('answers an empty batch with no ids and stores nothing', async () => {
    const before = await count();
    const response = await post(lrs, []);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
    expect(await count()).toBe(before);
  });

  it('stores a batch with one INSERT, not one per statement', async () => {
    const batch = Array.from({ length: 50 }, (_, n) => statement(`w${n}@example.com`));
    sent.length = 0;
    expect((await post(lrs, batch)).status).toBe(200);
    expect(sent.filter((sql) => /INSERT INTO xapi_statements/i.test(sql))).toHaveLength(1);
  });
});

describe('reading statements', () => {
  it('filters by agent, verb and since, and pages with more', async () => {
    const who = `${randomUUID()}@example.com`;
    const since = new Date(Date.now() - 1000).toISOString();
    await post(lrs, [statement(who), statement(who), statement(who, VERBS.experienced), statement(who)]);
    const agent = encodeURIComponent(JSON.stringify({ mbox: `mailto:${who}` }));
    const first = await lrs.send(
      `statements?agent=${agent}&verb=${encodeURIComponent(VERBS.completed)}&since=${since}&limit=2`,
    );
    expect(first.headers.get('x-experience-api-consistent-through')).toBeTruthy();
    const page1 = (await first.json()) as { statements: { id: string }[]; more: string };
    expect(page1.statements).toHaveLength(2);
    expect(page1.more).toMatch(/^\/xapi\/statements\?more=/);
    const page2 = (await lrs.send(page1.more.replace('/xapi/', ''))).json() as Promise<{
      statements: { id: string }[];
      more: string;
    }>;
    const second = await page2;
    expect(second.statements).toHaveLength(1);
    expect(second.more).toBe('');
    expect(new Set([...page1.statements, ...second.statements].map((s) => s.id)).size).toBe(3);
  });

  it('voiding hides the statement from statementId and queries; voidedStatementId finds it', async () => {
    const target = statement();
    await post(lrs, target);
    const voiding = {
      ...statement(),
      verb: { id: VERBS.voided },
      object: { objectType: 'StatementRef', id: target.id },
    };
    expect((await post(lrs, voiding)).status).toBe(200);
    expect((await lrs.send(`statements?statementId=${target.id}`)).status).toBe(404);
    expect((await lrs.send(`statements?voidedStatementId=${target.id}`)).status).toBe(200);
  });

  it("another tenant's credential sees none of this tenant's statements", async () => {
    const mine = statement(`${randomUUID()}@example.com`);
    await post(lrs, mine);
    expect((await other.send(`statements?statementId=${mine.id}`)).status).toBe(404);
    const agent = encodeURIComponent(JSON.stringify(mine.actor));
    const list = (await (await other.send(`statements?agent=${agent}`)).json()) as { statements: unknown[] };
    expect(list.statements).toEqual([]);
    // The same id in the other tenant is a statement of its own, not a conflict.
    expect((await post(other, { ...mine, verb: { id: VERBS.experienced } })).status).toBe(200);
  });
});

describe('attachments', () => {
  const content = Buffer.from('the certificate scan');
  const sha2 = createHash('sha256').update(content).digest('hex');
  const headers = MULTIPART;

  it('stores a statement with its attachment (multipart/mixed) and gives both back with attachments=true', async () => {
    const s = withAttachment(content);
    const response = await lrs.send('statements', { method: 'POST', body: multipart(s, [content]), headers });
    expect(response.status).toBe(200);
    const back = await lrs.send(`statements?statementId=${s.id}&attachments=true`);
    expect(back.headers.get('content-type')).toMatch(/^multipart\/mixed; boundary=/);
    const text = await back.text();
    expect(text).toContain(`X-Experience-API-Hash: ${sha2}`);
    expect(text).toContain('the certificate scan');
  });

  it('refuses an attachment whose part is missing, or a part no attachment declares', async () => {
    const before = await count();
    const s = withAttachment(content);
    expect((await lrs.send('statements', { method: 'POST', body: multipart(s, []), headers })).status).toBe(400);
    const extra = multipart(s, [content, Buffer.from('stray')]);
    expect((await lrs.send('statements', { method: 'POST', body: extra, headers })).status).toBe(400);
    expect(await count()).toBe(before);
  });
});
