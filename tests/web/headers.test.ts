import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CompleteTrainingAssignmentDocument,
  CompletionCertificateDocument,
  CreateTrainingCourseDocument,
  StartTrainingAssignmentDocument,
} from '../../src/generated/operations/graphql.js';
import { dayFromToday, ok, type Actor } from '../support/server.js';
import { useWebApp } from './browser.js';

/**
 * The security headers of the server's pages, over real HTTP and in a real browser: the web app (every
 * address of its page, client routes and assets), GraphiQL and the certificate verify page each carry a
 * Content-Security-Policy that forbids framing, X-Frame-Options, Referrer-Policy and nosniff; the app's
 * page is never cached under any address; another origin's page that frames the app (with a token in
 * the address) gets nothing rendered; and the pages still work under their policies.
 */

const web = useWebApp();
let worker: Actor;
let verifyPath: string;

beforeAll(async () => {
  const officer = await web.server.actor('safety_officer');
  worker = await web.server.actor('worker', { tenantId: officer.tenantId, name: 'Frame Target' });
  await ok(worker.request('{ me { id } }'));
  verifyPath = `/verify/${await certificateCode(officer)}`;
}, 360_000);

/** A passed completion of a certifying course: its certificate's code. */
async function certificateCode(officer: Actor): Promise<string> {
  const course = await ok(
    officer.request(CreateTrainingCourseDocument, {
      input: { title: 'Harness Use', category: 'EQUIPMENT_SAFETY', expiryMonths: 12, issuesCertificate: true },
    }),
  );
  const { assignTrainingCourse } = await ok(
    officer.request(AssignTrainingCourseDocument, {
      input: { courseId: course.createTrainingCourse.id, userId: worker.userId, dueDate: dayFromToday(14) },
    }),
  );
  const assignmentId = assignTrainingCourse.id;
  await ok(worker.request(StartTrainingAssignmentDocument, { assignmentId }));
  await ok(
    worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId, score: 90, passed: true, completionTimeMinutes: 20 },
    }),
  );
  const { trainingCompletions } = await ok(worker.request(CompletionCertificateDocument, { assignmentId }));
  return trainingCompletions.nodes[0]!.certificate!.code;
}

const get = (path: string, accept = 'text/html') => fetch(web.origin + path, { headers: { accept } });

/** The directives of a Content-Security-Policy header, by name. */
function directives(policy: string | null): Record<string, string> {
  return Object.fromEntries(
    (policy ?? '')
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...sources]) => [name!, sources.join(' ')]),
  );
}

function expectPageHeaders(response: Response) {
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(directives(response.headers.get('content-security-policy'))).toMatchObject({
    'frame-ancestors': "'none'",
    'base-uri': "'none'",
  });
}

/** CSP violations Chromium reports on a page's console. */
function cspViolations(page: Page): string[] {
  const found: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (/Content Security Policy/i.test(message.text())) found.push(message.text());
  });
  return found;
}

describe('over HTTP', () => {
  it('the app, under every address of its page and on a client route, with its policy and no caching', async () => {
    const host = new URL(web.origin).host;
    for (const path of ['/', '/index.html', '/analytics']) {
      const response = await get(path);

      expect(response.status, path).toBe(200);
      expectPageHeaders(response);
      expect(response.headers.get('cache-control'), path).toBe('no-cache');
      expect(directives(response.headers.get('content-security-policy'))).toEqual({
        'default-src': "'self'",
        'script-src': "'self'",
        'style-src': "'self'",
        'font-src': "'self'",
        'img-src': "'self' data:",
        'connect-src': `'self' ws://${host} wss://${host}`,
        'frame-ancestors': "'none'",
        'base-uri': "'none'",
        'form-action': "'self'",
        'object-src': "'none'",
      });
    }
  });

  it('hashed assets keep their year-long cache, with the same headers', async () => {
    const page = await (await get('/')).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page)![1]!;

    const response = await get(asset, '*/*');

    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expectPageHeaders(response);
  });

  it('the certificate verify page, found or not, allows its own style and nothing else', async () => {
    for (const path of [verifyPath, '/verify/no-such-code-000000000000']) {
      const response = await get(path);

      expectPageHeaders(response);
      const policy = directives(response.headers.get('content-security-policy'));
      expect(policy).toMatchObject({ 'default-src': "'none'", 'form-action': "'none'" });
      expect(policy['style-src']).toMatch(/^'sha256-[A-Za-z0-9+/]+=*'$/);
    }
  });

  it("GraphiQL's page, with its inline script allowed by hash", async () => {
    const response = await get('/graphql');

    expect(await response.text()).toContain('GraphiQL');
    expectPageHeaders(response);
    expect(directives(response.headers.get('content-security-policy'))['script-src']).toMatch(
      /^'self' 'sha256-[A-Za-z0-9+/]+=*'$/,
    );
  });
});

describe('in Chromium', () => {
  let framer: Server;
  let framerOrigin: string;

  beforeAll(async () => {
    // Another origin (another port) whose page frames the app with a token in its address.
    framer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Framer</title><iframe src="${web.origin}/#token=${worker.token}"></iframe>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    framerOrigin = `http://127.0.0.1:${(framer.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => framer?.close(() => resolve())));

  it('another origin that frames the app gets nothing rendered, and the token is never used', async () => {
    const context = await web.newContext();
    try {
      const page = await context.newPage();
      const apiRequests: string[] = [];
      context.on('request', (request) => {
        if (request.url().startsWith(`${web.origin}/graphql`)) apiRequests.push(request.url());
      });
      const refused = page.waitForEvent('console', {
        predicate: (message) => /frame-ancestors/.test(message.text()),
        timeout: 15_000,
      });

      await page.goto(framerOrigin);

      expect((await refused).text()).toMatch(/frame-ancestors 'none'.*blocked|Refused to frame/s);
      const frame = page.frameLocator('iframe');
      expect(await frame.getByRole('heading', { name: 'Training Center' }).count()).toBe(0);
      expect(await frame.locator('#root').count()).toBe(0);
      expect(apiRequests).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the verify page renders with its style, and GraphiQL runs, without a CSP violation', async () => {
    const context = await web.newContext();
    try {
      const verify = await context.newPage();
      const verifyViolations = cspViolations(verify);
      await verify.goto(web.origin + verifyPath);
      const heading = verify.getByRole('heading', { name: 'Valid certificate' });
      await heading.waitFor();
      // The inline style applied: a valid certificate's badge is green.
      expect(await verify.evaluate("getComputedStyle(document.querySelector('.badge')).color")).toBe('rgb(17, 97, 43)');

      const ide = await context.newPage();
      const ideViolations = cspViolations(ide);
      await ide.goto(`${web.origin}/graphql`);
      await ide.locator('.graphiql-container').waitFor({ timeout: 30_000 });
      await ide.getByText('Mint a token with').first().waitFor();

      expect(verifyViolations).toEqual([]);
      expect(ideViolations).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
