import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller } from '../../src/core/caller/index.js';
import {
  RecordPredictiveScoresDocument,
  RecordShiftAssignmentsDocument,
  SetEquipmentOperatorsDocument,
  UpsertProfilesDocument,
} from '../../src/generated/operations/graphql.js';
import { expectSqlError, owner, uuid } from '../support/sql.js';
import { errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * What auto-assignment maps entities to users with — profiles, shifts,
 * equipment operators — fed by neighbouring systems through the ingest
 * mutations or by writing the tables directly under RLS.
 */

let server: TestServer;
let service: Actor;
let sql: ReturnType<typeof owner>;

beforeAll(async () => {
  server = await startTestServer();
  sql = owner(server.db);
  service = await server.actor('service');
});
afterAll(() => server.stop());

const hoursFromNow = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

async function refused(
  response: Promise<{ errors?: { extensions?: { code?: string; field?: string } }[] }>,
  code: string,
  field?: string,
) {
  const { errors } = await response;
  expect(errors?.[0]?.extensions?.code, JSON.stringify(errors)).toBe(code);
  if (field) expect(errors![0]!.extensions!.field).toBe(field);
}

async function profiles(actor: Actor, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => uuid());
  await ok(actor.request(UpsertProfilesDocument, { profiles: ids.map((id) => ({ id, role: 'WORKER' as const })) }));
  return ids;
}

describe('upsertProfiles', () => {
  it('creates and then updates profiles of the caller tenant', async () => {
    const [a, b] = [uuid(), uuid()];
    const created = await ok(
      service.request(UpsertProfilesDocument, {
        profiles: [
          { id: a, displayName: 'Ada', email: 'ada@example.com', role: 'WORKER' },
          { id: b, role: 'SAFETY_OFFICER' },
        ],
      }),
    );
    expect(created.upsertProfiles).toBe(2);
    const updated = await ok(
      service.request(UpsertProfilesDocument, { profiles: [{ id: a, displayName: 'Ada L.', role: 'ADMIN' }] }),
    );
    expect(updated.upsertProfiles).toBe(1);
    const rows = await sql.query(
      'SELECT id, tenant_id, display_name, email, role FROM profiles WHERE id = ANY($1::uuid[]) ORDER BY display_name',
      [[a, b]],
    );
    expect(rows).toEqual([
      // The update left email out: it keeps its value (tests/api/profile-emails.test.ts: absent, null, value).
      { id: a, tenant_id: service.tenantId, display_name: 'Ada L.', email: 'ada@example.com', role: 'admin' },
      { id: b, tenant_id: service.tenantId, display_name: null, email: null, role: 'safety_officer' },
    ]);
  });

  it('refuses a bad or repeated id with BAD_USER_INPUT naming it, writing nothing', async () => {
    const id = uuid();
    await refused(
      service.request(UpsertProfilesDocument, {
        profiles: [
          { id, role: 'WORKER' },
          { id: 'x', role: 'WORKER' },
        ],
      }),
      'BAD_USER_INPUT',
      'profiles[1].id',
    );
    await refused(
      service.request(UpsertProfilesDocument, {
        profiles: [
          { id, role: 'WORKER' },
          { id, role: 'ADMIN' },
        ],
      }),
      'BAD_USER_INPUT',
      'profiles[1].id',
    );
    expect(await sql.count('profiles', 'id = $1', [id])).toBe(0);
  });

  it("a person who is also another tenant's user gets this tenant's own profile; theirs is untouched", async () => {
    const stranger = await server.actor('service');
    const [person] = await profiles(stranger, 1);
    await ok(
      service.request(UpsertProfilesDocument, { profiles: [{ id: person!, displayName: 'Also here', role: 'ADMIN' }] }),
    );
    const rows = await sql.query('SELECT tenant_id, display_name, role FROM profiles WHERE id = $1', [person]);
    expect(rows).toHaveLength(2);
    expect(rows).toContainEqual({ tenant_id: service.tenantId, display_name: 'Also here', role: 'admin' });
    expect(rows).toContainEqual({ tenant_id: stranger.tenantId, display_name: null, role: 'worker' });
  });
});

describe('recordShiftAssignments', () => {
  it('records shifts, and a shift sent again with its id is updated, not added', async () => {
    const [user] = await profiles(service, 1);
    const [zone, shiftId] = [uuid(), uuid()];
    const shift = { id: shiftId, zoneId: zone, userId: user!, startsAt: hoursFromNow(1), endsAt: hoursFromNow(9) };
    const first = await ok(
      service.request(RecordShiftAssignmentsDocument, {
        shifts: [shift, { zoneId: zone, userId: user!, startsAt: hoursFromNow(24), endsAt: hoursFromNow(32) }],
      }),
    );
    expect(first.recordShiftAssignments).toBe(2);
    await ok(service.request(RecordShiftAssignmentsDocument, { shifts: [{ ...shift, endsAt: hoursFromNow(5) }] }));
    expect(await sql.count('shift_assignments', 'user_id = $1', [user])).toBe(2);
    const [row] = await sql.query<{ ends_at: Date; tenant_id: string }>(
      'SELECT ends_at, tenant_id FROM shift_assignments WHERE id = $1',
      [shiftId],
    );
    expect(row!.tenant_id).toBe(service.tenantId);
    expect(Math.abs(row!.ends_at.getTime() - Date.parse(hoursFromNow(5)))).toBeLessThan(60_000);
  });

  it('refuses a shift that ends before it starts (BAD_USER_INPUT) and an unknown user (NOT_FOUND), writing nothing', async () => {
    const [user] = await profiles(service, 1);
    const zone = uuid();
    const good = { zoneId: zone, userId: user!, startsAt: hoursFromNow(1), endsAt: hoursFromNow(2) };
    await refused(
      service.request(RecordShiftAssignmentsDocument, {
        shifts: [good, { ...good, endsAt: good.startsAt }],
      }),
      'BAD_USER_INPUT',
      'shifts[1].endsAt',
    );
    const stranger = await server.actor('service');
    const [theirs] = await profiles(stranger, 1);
    for (const missing of [uuid(), theirs!]) {
      await refused(
        service.request(RecordShiftAssignmentsDocument, { shifts: [good, { ...good, userId: missing }] }),
        'NOT_FOUND',
        'shifts[1].userId',
      );
    }
    expect(await sql.count('shift_assignments', 'zone_id = $1', [zone])).toBe(0);
  });
  it("keeps shift ids per tenant: another tenant's shift with the same id is neither touched nor revealed", async () => {
    const stranger = await server.actor('service');
    const [theirUser] = await profiles(stranger, 1);
    const [myUser] = await profiles(service, 1);
    const shiftId = uuid();
    const shift = { id: shiftId, zoneId: uuid(), startsAt: hoursFromNow(1), endsAt: hoursFromNow(2) };
    await ok(stranger.request(RecordShiftAssignmentsDocument, { shifts: [{ ...shift, userId: theirUser! }] }));
    await ok(service.request(RecordShiftAssignmentsDocument, { shifts: [{ ...shift, userId: myUser! }] }));
    // Re-sending it updates this tenant's shift only.
    await ok(
      service.request(RecordShiftAssignmentsDocument, {
        shifts: [{ ...shift, userId: myUser!, endsAt: hoursFromNow(3) }],
      }),
    );
    expect(
      await sql.query('SELECT tenant_id, user_id FROM shift_assignments WHERE id = $1 ORDER BY tenant_id = $2', [
        shiftId,
        service.tenantId,
      ]),
    ).toEqual([
      { tenant_id: stranger.tenantId, user_id: theirUser },
      { tenant_id: service.tenantId, user_id: myUser },
    ]);
    expect(
      await sql.count('shift_assignments', 'id = $1 AND ends_at > starts_at + interval $$2 hours$$', [shiftId]),
    ).toBe(1);
  });
});

describe('setEquipmentOperators', () => {
  it('replaces the operators of the equipment listed and leaves other equipment alone', async () => {
    const [u1, u2, u3] = await profiles(service, 3);
    const [crane, forklift] = [uuid(), uuid()];
    const operators = async (equipment: string) =>
      (
        await sql.query<{ user_id: string }>(
          'SELECT user_id FROM equipment_operators WHERE equipment_id = $1 ORDER BY user_id',
          [equipment],
        )
      ).map((row) => row.user_id);
    const set = (equipment: { equipmentId: string; userIds: string[] }[]) =>
      ok(service.request(SetEquipmentOperatorsDocument, { equipment }));

    expect(
      (
        await set([
          { equipmentId: crane, userIds: [u1!, u2!, u1!] },
          { equipmentId: forklift, userIds: [u3!] },
        ])
      ).setEquipmentOperators,
    ).toBe(3);
    expect((await set([{ equipmentId: crane, userIds: [u2!, u3!] }])).setEquipmentOperators).toBe(2);
    expect(await operators(crane)).toEqual([u2!, u3!].sort());
    expect(await operators(forklift)).toEqual([u3]);
    expect((await set([{ equipmentId: crane, userIds: [] }])).setEquipmentOperators).toBe(0);
    expect(await operators(crane)).toEqual([]);
  });

  it('refuses an unknown user (NOT_FOUND, field named) and a repeated equipment id, changing nothing', async () => {
    const [u1] = await profiles(service, 1);
    const crane = uuid();
    await ok(service.request(SetEquipmentOperatorsDocument, { equipment: [{ equipmentId: crane, userIds: [u1!] }] }));
    await refused(
      service.request(SetEquipmentOperatorsDocument, { equipment: [{ equipmentId: crane, userIds: [u1!, uuid()] }] }),
      'NOT_FOUND',
      'equipment[0].userIds[1]',
    );
    await refused(
      service.request(SetEquipmentOperatorsDocument, {
        equipment: [
          { equipmentId: crane, userIds: [] },
          { equipmentId: crane, userIds: [] },
        ],
      }),
      'BAD_USER_INPUT',
      'equipment[1].equipmentId',
    );
    expect(await sql.count('equipment_operators', 'equipment_id = $1', [crane])).toBe(1);
  });
});

describe('ingest: roles', () => {
  it.each(['worker', 'safety_officer'] as const)('refuses a %s (FORBIDDEN) and an anonymous caller', async (role) => {
    const actor = await server.actor(role, { tenantId: service.tenantId });
    const id = uuid();
    const documents = [
      [UpsertProfilesDocument, { profiles: [{ id, role: 'WORKER' }] }],
      [RecordShiftAssignmentsDocument, { shifts: [] }],
      [SetEquipmentOperatorsDocument, { equipment: [] }],
    ] as const;
    for (const [document, variables] of documents) {
      expect(errorCode(await actor.request(document as never, variables as never))).toBe('FORBIDDEN');
      expect(errorCode(await server.request(document as never, variables))).toBe('UNAUTHENTICATED');
    }
    expect(await sql.count('profiles', 'id = $1', [id])).toBe(0);
  });
});

describe('ingest feeds auto-assignment', () => {
  it('profiles, shifts and operators sent by integrations are what scores map to', async () => {
    const tenant = await server.actor('service');
    const [zoneWorker, operator, bystander] = await profiles(tenant, 3);
    const [zone, press] = [uuid(), uuid()];
    await ok(
      tenant.request(RecordShiftAssignmentsDocument, {
        shifts: [{ zoneId: zone, userId: zoneWorker!, startsAt: hoursFromNow(-30), endsAt: hoursFromNow(-22) }],
      }),
    );
    await ok(
      tenant.request(SetEquipmentOperatorsDocument, { equipment: [{ equipmentId: press, userIds: [operator!] }] }),
    );
    await sql.insert('training_courses', {
      tenant_id: tenant.tenantId,
      title: 'Site safety',
      category: 'safety_fundamentals',
      created_by: tenant.userId,
      auto_assign_enabled: true,
      entity_type: 'general',
      risk_threshold: 60,
    });
    await ok(
      tenant.request(RecordPredictiveScoresDocument, {
        scores: [
          { entityType: 'ZONE', entityId: zone, score: 70 },
          { entityType: 'EQUIPMENT', entityId: press, score: 61 },
        ],
      }),
    );
    const assigned = await sql.query<{ user_id: string }>(
      'SELECT user_id FROM training_assignments WHERE tenant_id = $1 ORDER BY user_id',
      [tenant.tenantId],
    );
    expect(assigned.map((row) => row.user_id)).toEqual([zoneWorker!, operator!].sort());
    expect(assigned.map((row) => row.user_id)).not.toContain(bystander);
  });

  it('a neighbouring system may write the tables directly as training_app with app.role service, in its tenant only', async () => {
    const tenant = await server.actor('service');
    const [user] = await profiles(tenant, 1);
    const caller = { tenantId: tenant.tenantId, userId: tenant.userId, role: 'service' as const };
    await runAsCaller(server.db.prisma, caller, (tx) =>
      tx.$executeRawUnsafe(
        `INSERT INTO shift_assignments (tenant_id, zone_id, user_id, starts_at, ends_at)
         VALUES ($1::uuid, $2::uuid, $3::uuid, now(), now() + interval '8 hours')`,
        tenant.tenantId,
        uuid(),
        user,
      ),
    );
    expect(await sql.count('shift_assignments', 'user_id = $1', [user])).toBe(1);
    await expectSqlError(
      runAsCaller(server.db.prisma, caller, (tx) =>
        tx.$executeRawUnsafe(
          `INSERT INTO equipment_operators (tenant_id, equipment_id, user_id) VALUES ($1::uuid, $2::uuid, $3::uuid)`,
          service.tenantId,
          uuid(),
          user,
        ),
      ),
      { code: '42501' },
    );
  });
});
