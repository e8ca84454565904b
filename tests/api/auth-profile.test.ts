import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CreateTrainingCourseDocument,
  TrainingAssignmentsDocument,
} from '../../src/generated/operations/graphql.js';
import { liveClient } from '../support/ws.js';
import { dayFromToday, errorCode } from '../support/server.js';
import { server, admin, useAuthServer, profile, token } from './auth-fixtures.js';

/** What a caller's token writes into `profiles`. */

useAuthServer();

describe("the caller's profile, from the token's claims", () => {
  const me = (authorization: string) => server.request<{ me: { id: string } }>('{ me { id } }', {}, authorization);

  it('is created on first use, with name, email and role', async () => {
    const userId = randomUUID();
    const tenantId = randomUUID();
    expect(await profile(userId)).toBeUndefined();

    const response = await me(
      `Bearer ${await token({ userId, tenantId, role: 'worker', name: 'Ada Lovelace', email: 'ada@example.com' })}`,
    );

    expect(response.data?.me.id).toBe(userId);
    expect(await profile(userId)).toMatchObject({
      id: userId,
      tenant_id: tenantId,
      display_name: 'Ada Lovelace',
      email: 'ada@example.com',
      role: 'worker',
    });
  });

  it('is refreshed when the claims change, and kept when a claim is absent', async () => {
    const userId = randomUUID();
    const tenantId = randomUUID();
    await me(
      `Bearer ${await token({ userId, tenantId, role: 'worker', name: 'Ada Lovelace', email: 'ada@example.com' })}`,
    );

    await me(
      `Bearer ${await token({ userId, tenantId, role: 'safety_officer', name: 'Ada King', email: 'ada.king@example.com' })}`,
    );
    expect(await profile(userId)).toMatchObject({
      display_name: 'Ada King',
      email: 'ada.king@example.com',
      role: 'safety_officer',
    });

    await me(`Bearer ${await token({ userId, tenantId, role: 'safety_officer' })}`);
    expect(await profile(userId)).toMatchObject({ display_name: 'Ada King', email: 'ada.king@example.com' });
  });

  it('is stored from sanitised claims: control characters and lone surrogates replaced, lengths capped', async () => {
    const userId = randomUUID();
    const name = `Ada\u0000Love\u0007\u001b[31mlace \uD800 ${'x'.repeat(400)}`;

    const response = await me(`Bearer ${await token({ userId, role: 'worker', name, email: 'ada@example.com' })}`);

    expect(response.errors).toBeUndefined();
    const stored = (await profile(userId)) as { display_name: string; email: string };
    expect(stored.display_name).toHaveLength(200);
    expect(stored.display_name.startsWith('Ada Love [31mlace \uFFFD xxx')).toBe(true);
    expect([...stored.display_name].some((character) => character.charCodeAt(0) < 0x20)).toBe(false);
    expect(stored.email).toBe('ada@example.com');
  });

  it.each([
    ['a NUL character', 'ada\u0000@example.com'],
    ['a control character', 'ada@exa\u0001mple.com'],
    ['a lone surrogate', 'ada\uD800@example.com'],
    ['no @', 'ada.example.com'],
    ['over 254 characters', `${'a'.repeat(243)}@example.com`],
    ['a second address after a comma', 'ada@example.com, spy@evil.example'],
  ])('drops an email claim with %s: the request succeeds and the stored email is kept', async (_case, email) => {
    const userId = randomUUID();
    const tenantId = randomUUID();
    await me(`Bearer ${await token({ userId, tenantId, role: 'worker', email: 'ada@example.com' })}`);

    const response = await me(`Bearer ${await token({ userId, tenantId, role: 'worker', name: 'Ada\u0000', email })}`);

    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(await profile(userId)).toMatchObject({ display_name: 'Ada', email: 'ada@example.com' });
  });

  it('a NUL in the claims does not close a subscription socket (no 1013): it connects', async () => {
    const userId = randomUUID();
    const live = liveClient(
      server.url,
      await token({ userId, role: 'worker', name: 'Nul\u0000Name', email: 'nul\u0000@example.com' }),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        live.client.on('connected', () => resolve());
        void live.closed.then((close) => reject(new Error(`closed ${close.code} ${close.reason}`)));
      });
      expect(await profile(userId)).toMatchObject({ display_name: 'Nul Name', email: null });
    } finally {
      await live.dispose();
    }
  });

  it('is what makes a user assignable: unknown until they have signed in once', async () => {
    const course = (
      await admin.request(CreateTrainingCourseDocument, { input: { title: 'Induction', category: 'COMPLIANCE' } })
    ).data!.createTrainingCourse;
    const newcomer = await server.actor('worker', { tenantId: admin.tenantId, name: 'New Starter' });
    const assign = () =>
      admin.request(AssignTrainingCourseDocument, {
        input: { courseId: course.id, userId: newcomer.userId, dueDate: dayFromToday(7) },
      });

    expect(errorCode(await assign())).toBe('NOT_FOUND');
    await newcomer.request(TrainingAssignmentsDocument, {});
    const assigned = await assign();

    expect(assigned.errors).toBeUndefined();
    expect(assigned.data?.assignTrainingCourse.user.id).toBe(newcomer.userId);
  });
});
