import { describe, expect, it } from 'vitest';
import {
  CreateTrainingCourseDocument,
  QualificationChangedDocument,
  QualificationsDocument,
  RevokeCertificateDocument,
  type QualificationFieldsFragment,
} from '../../src/generated/operations/graphql.js';
import { runScheduledJob } from '../../src/core/jobs.js';
import { eventually } from '../support/wait.js';
import { announceQualifications } from '../support/announce.js';
import { uuid } from '../support/sql.js';
import { dayFromToday, errorCode, ok } from '../support/server.js';
import { liveClient, subscribe } from '../support/ws.js';
import { jobNamed, jobRunner } from '../support/jobs.js';
import { server, clients, useRiskLoopServer, daysAgo } from './risk-loop-fixtures.js';

/** Who is qualified now, for a zone or a piece of equipment: the query and the subscription. */

useRiskLoopServer();

/** A zone and a piece of equipment with their people and the tenant's required courses. */
async function site() {
  const officer = await server.actor('safety_officer');
  const tenantId = officer.tenantId;
  const zone = uuid();
  const equipment = uuid();
  // Ids in name order: a change that concerns several users delivers them in id order.
  const [u1, u2, u3, u4] = [uuid(), uuid(), uuid(), uuid()].sort() as [string, string, string, string];
  const people = { u1, u2, u3, u4 };
  for (const [name, id] of Object.entries(people)) {
    await server.owner.insert('profiles', { id, tenant_id: tenantId, role: 'worker', display_name: name });
  }
  // Rows written with SQL are announced as the API announces its own writes.
  const announce = (userId: string) => announceQualifications(server.owner.query, tenantId, [userId]);
  const shift = async (userId: string, endedDaysAgo: number, zoneId = zone) => {
    await server.owner.insert('shift_assignments', {
      tenant_id: tenantId,
      zone_id: zoneId,
      user_id: userId,
      starts_at: daysAgo(endedDaysAgo + 1),
      ends_at: daysAgo(endedDaysAgo),
    });
    await announce(userId);
  };
  await shift(people.u1, 2);
  await shift(people.u2, -3); // a future shift
  await shift(people.u3, 40); // too long ago
  for (const userId of [people.u2, people.u4]) {
    await server.owner.insert('equipment_operators', { tenant_id: tenantId, equipment_id: equipment, user_id: userId });
  }
  const course = async (title: string, entityType: string, required: boolean) =>
    (
      await server.owner.insert('training_courses', {
        tenant_id: tenantId,
        title,
        category: 'compliance',
        created_by: officer.userId,
        entity_type: entityType,
        required,
      })
    ).id as string;
  const courses = {
    zone: await course('Zone induction', 'zone', true),
    general: await course('Site safety', 'general', true),
    equipment: await course('Crane licence', 'equipment', true),
    optional: await course('Zone extras', 'zone', false),
  };
  const complete = async (userId: string, courseId: string, passed: boolean, expiresAt: string | null) => {
    const assignment = await server.owner.insert('training_assignments', {
      tenant_id: tenantId,
      course_id: courseId,
      user_id: userId,
      status: passed ? 'completed' : 'assigned',
      completed_at: passed ? new Date() : null,
    });
    const completion = await server.owner.insert('training_completions', {
      tenant_id: tenantId,
      assignment_id: assignment.id,
      course_id: courseId,
      user_id: userId,
      passed,
      score: passed ? 90 : 20,
      expires_at: expiresAt,
    });
    await announce(userId);
    return completion.id as string;
  };
  return { officer, tenantId, zone, equipment, people, courses, shift, complete };
}

const summary = (q: QualificationFieldsFragment) => ({
  user: q.user.displayName,
  qualified: q.qualified,
  missing: q.missingCourses.map((course) => course.title).sort(),
  expiresAt: q.expiresAt ?? null,
});

describe('who is qualified now', () => {
  it('lists a zone’s and a piece of equipment’s users with their missing required courses and earliest expiry', async () => {
    const s = await site();
    await s.complete(s.people.u1, s.courses.zone, true, dayFromToday(30));
    await s.complete(s.people.u1, s.courses.zone, true, dayFromToday(10)); // the later expiry qualifies
    await s.complete(s.people.u1, s.courses.general, true, null);
    await s.complete(s.people.u2, s.courses.zone, true, dayFromToday(-1)); // expired yesterday
    await s.complete(s.people.u2, s.courses.general, false, null); // failed
    await s.complete(s.people.u4, s.courses.equipment, true, dayFromToday(10));
    await s.complete(s.people.u4, s.courses.general, true, dayFromToday(0)); // expires today: still current

    const zone = await ok(s.officer.request(QualificationsDocument, { zoneId: s.zone }));
    expect(zone.qualifications.map(summary).sort((a, b) => a.user!.localeCompare(b.user!))).toEqual([
      { user: 'u1', qualified: true, missing: [], expiresAt: dayFromToday(30) },
      { user: 'u2', qualified: false, missing: ['Site safety', 'Zone induction'], expiresAt: null },
    ]);
    const machine = await ok(s.officer.request(QualificationsDocument, { equipmentId: s.equipment }));
    expect(machine.qualifications.map(summary).sort((a, b) => a.user!.localeCompare(b.user!))).toEqual([
      { user: 'u2', qualified: false, missing: ['Crane licence', 'Site safety'], expiresAt: null },
      { user: 'u4', qualified: true, missing: [], expiresAt: dayFromToday(0) },
    ]);
  });

  it('takes exactly one of zoneId and equipmentId, and is for admins, safety officers and integrations', async () => {
    const s = await site();
    for (const variables of [{}, { zoneId: s.zone, equipmentId: s.equipment }]) {
      expect(errorCode(await s.officer.request(QualificationsDocument, variables))).toBe('BAD_USER_INPUT');
    }
    expect(errorCode(await s.officer.request(QualificationsDocument, { zoneId: 'nope' }))).toBe('BAD_USER_INPUT');
    const worker = await server.actor('worker', { tenantId: s.tenantId, userId: s.people.u1 });
    expect(errorCode(await worker.request(QualificationsDocument, { zoneId: s.zone }))).toBe('FORBIDDEN');
    const service = await server.actor('service', { tenantId: s.tenantId });
    expect((await ok(service.request(QualificationsDocument, { zoneId: s.zone }))).qualifications).toHaveLength(2);
    const stranger = await server.actor('admin');
    expect((await ok(stranger.request(QualificationsDocument, { zoneId: s.zone }))).qualifications).toEqual([]);
  });

  it('a subscriber receives exactly the qualification changes of its zone, in order, including an expiry', async () => {
    const s = await site();
    const zoneCompletion = await s.complete(s.people.u1, s.courses.zone, true, dayFromToday(0));
    await s.complete(s.people.u1, s.courses.general, true, null);

    const connect = (token: string) => {
      const client = liveClient(server.url, token);
      clients.push(client);
      return client;
    };
    // Other modules follow channels of their own: count this test's two subscriptions on top of them.
    const followersBefore = server.app.services.liveEvents.stats().followers;
    const feed = subscribe(connect(s.officer.token), QualificationChangedDocument, { zoneId: s.zone });
    const stranger = await server.actor('safety_officer');
    const theirs = subscribe(connect(stranger.token), QualificationChangedDocument, { zoneId: s.zone });
    await eventually(() => server.app.services.liveEvents.stats().followers === followersBefore + 2, 20_000);

    const expected = [
      { user: 'u2', qualified: false, missing: ['Site safety'], expiresAt: null },
      { user: 'u1', qualified: false, missing: ['Evacuation drill'], expiresAt: dayFromToday(0) },
      { user: 'u2', qualified: false, missing: ['Evacuation drill', 'Site safety'], expiresAt: null },
      { user: 'u4', qualified: false, missing: ['Evacuation drill', 'Zone induction'], expiresAt: null },
      { user: 'u1', qualified: false, missing: ['Evacuation drill', 'Zone induction'], expiresAt: null },
    ];
    // Each change waits for the one before to arrive: changes closer together than a subscriber's
    // reads may arrive merged into the latest state (README), which this test is not about.
    const arrived = (count: number) => feed.until((f) => f.results.length >= count);

    // 1. u2 passes the zone induction.
    await s.complete(s.people.u2, s.courses.zone, true, null);
    await arrived(1);
    // Not its zone: a completion by the equipment-only user, and another zone's new shift.
    await s.complete(s.people.u4, s.courses.general, true, null);
    await s.shift(s.people.u4, 1, uuid());
    // 2. A new required zone course (through the API): both are missing it.
    const created = await ok(
      s.officer.request(CreateTrainingCourseDocument, {
        input: { title: 'Evacuation drill', category: 'EMERGENCY_RESPONSE', entityType: 'ZONE', required: true },
      }),
    );
    await arrived(3);
    // 3. u4 starts working in the zone: a new user of it.
    await s.shift(s.people.u4, 0);
    await arrived(4);
    // 4. The change of day: u1's zone induction (last valid day today) has expired. Moved by SQL, which
    // announces nothing (the API announces its own writes), so only the scheduler's announcement can tell.
    // The triggers run: u1's holdings keep the new date, as they would keep the old one while the day passes.
    await server.db.withConnection((c) =>
      c.query(`UPDATE training_completions SET expires_at = current_date - 1 WHERE id = $1`, [zoneCompletion]),
    );
    await runScheduledJob(
      jobRunner(server.db.prisma),
      jobNamed('qualification_expiry'),
      new Date('2026-12-03T00:00:00Z'),
    );
    await arrived(5);

    expect(feed.results.every((result) => !result.errors)).toBe(true);
    expect(feed.data.map((data) => summary(data.qualificationChanged))).toEqual(expected);
    expect(created.createTrainingCourse.id).toBeTruthy();
    // The other tenant's officer, subscribed to the same zone id, heard nothing.
    expect(theirs.results).toEqual([]);
    feed.unsubscribe();
    theirs.unsubscribe();
  });

  it('a revoked certificate no longer qualifies its holder, and the zone’s subscribers hear it', async () => {
    const s = await site();
    const completionId = await s.complete(s.people.u1, s.courses.zone, true, null);
    await s.complete(s.people.u1, s.courses.general, true, null);
    const code = `revocation-${uuid().replaceAll('-', '')}`;
    await server.owner.insert('certificates', {
      tenant_id: s.tenantId,
      completion_id: completionId,
      user_id: s.people.u1,
      course_id: s.courses.zone,
      code,
    });
    const u1 = async () =>
      (await ok(s.officer.request(QualificationsDocument, { zoneId: s.zone }))).qualifications
        .map(summary)
        .find((q) => q.user === 'u1');
    expect(await u1()).toEqual({ user: 'u1', qualified: true, missing: [], expiresAt: null });

    // Modules follow channels of their own (the LRS's revoked credentials): wait for one follower more.
    const followersBefore = server.app.services.liveEvents.stats().followers;
    const client = liveClient(server.url, s.officer.token);
    clients.push(client);
    const feed = subscribe(client, QualificationChangedDocument, { zoneId: s.zone });
    await eventually(() => server.app.services.liveEvents.stats().followers > followersBefore, 20_000);
    await ok(s.officer.request(RevokeCertificateDocument, { code, reason: 'Forged signature' }));

    const revoked = { user: 'u1', qualified: false, missing: ['Zone induction'], expiresAt: null };
    expect(await u1()).toEqual(revoked);
    await feed.until((f) => f.results.length >= 1);
    expect(feed.data.map((data) => summary(data.qualificationChanged))).toEqual([revoked]);
    feed.unsubscribe();
  });

  it('a worker cannot subscribe, and the arguments are checked', async () => {
    const s = await site();
    const worker = await server.actor('worker', { tenantId: s.tenantId, userId: s.people.u1 });
    const client = liveClient(server.url, worker.token);
    clients.push(client);
    const denied = subscribe(client, QualificationChangedDocument, { zoneId: s.zone });
    const both = subscribe(liveClient(server.url, s.officer.token), QualificationChangedDocument, {
      zoneId: s.zone,
      equipmentId: s.equipment,
    });
    await denied.until((sub) => sub.results.length > 0 || sub.error !== undefined);
    await both.until((sub) => sub.results.length > 0 || sub.error !== undefined);
    const code = (sub: typeof denied) =>
      (sub.results[0]?.errors?.[0]?.extensions as { code?: string } | undefined)?.code ?? JSON.stringify(sub.error);
    expect(code(denied)).toContain('FORBIDDEN');
    expect(code(both)).toContain('BAD_USER_INPUT');
  });
});
