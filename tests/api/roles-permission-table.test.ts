import { describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/core/permissions.js';
import { schema } from '../../src/schema.js';
import { errorCode } from '../support/server.js';
import { actors, useRolesServer, trainingTables } from './roles-fixtures.js';
import { PERMISSIONS, type Operation, TESTED_ELSEWHERE, SCENARIOS } from './roles-permissions.js';

/**
 * The permission table (roles-permissions.ts), operation by operation, for every role, within one tenant: an
 * allowed call succeeds; a refused one answers FORBIDDEN and leaves every training table exactly as it was.
 */

useRolesServer();

describe('the permission table', () => {
  const cases = (Object.keys(PERMISSIONS) as Operation[]).flatMap((operation) =>
    ROLES.map((role): [Operation, Role] => [operation, role]),
  );
  const allowed = ([operation, role]: [Operation, Role]) => (PERMISSIONS[operation] as readonly Role[]).includes(role);

  it.each(cases.filter(allowed))('%s: %s may', async (operation, role) => {
    const { send, succeeded } = await SCENARIOS[operation](actors[role]);

    const response = await send();

    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    await succeeded(response.data);
  });

  it.each(cases.filter((c) => !allowed(c)))(
    '%s: %s is refused with FORBIDDEN and nothing changes',
    async (operation, role) => {
      const { send } = await SCENARIOS[operation](actors[role]);
      const before = await trainingTables();

      const response = await send();

      expect(errorCode(response)).toBe('FORBIDDEN');
      expect(response.errors![0]!.path).toEqual([operation]);
      expect((response.data as Record<string, unknown> | null | undefined)?.[operation] ?? null).toBeNull();
      expect(await trainingTables()).toEqual(before);
    },
  );

  it('covers every Query and Mutation field of the schema', () => {
    const rootFields = [schema.getQueryType()!, schema.getMutationType()!].flatMap((type) =>
      Object.keys(type.getFields()),
    );
    const untested = rootFields.filter(
      (field) => !field.startsWith('_') && !(field in PERMISSIONS) && !TESTED_ELSEWHERE.includes(field),
    );
    const stale = Object.keys(PERMISSIONS).filter((operation) => !rootFields.includes(operation));

    expect(untested, 'a new operation needs a row in PERMISSIONS and SCENARIOS').toEqual([]);
    expect(stale, 'PERMISSIONS names operations the schema no longer has').toEqual([]);
  });
});
