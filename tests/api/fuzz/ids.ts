import { randomUUID } from 'node:crypto';
import fc from 'fast-check';

/** For fuzz.test.ts: who calls (roles and bad callers), and the ids a case throws at a mutation. */

export const ROLES = ['admin', 'safety_officer', 'worker', 'service'] as const;
export type Role = (typeof ROLES)[number];
/** Callers without a usable token: none of them may ever change anything. */
export const BAD_CALLERS = ['anonymous', 'forged', 'expired', 'unknown-role', 'garbage', 'basic'] as const;
export type BadCaller = (typeof BAD_CALLERS)[number];
export type CallerName = Role | BadCaller;

export type IdKind =
  | 'user'
  | 'course'
  | 'assignment'
  | 'startable'
  | 'started'
  | 'completion'
  | 'shift'
  | 'zone'
  | 'equipment'
  | 'notification'
  | 'certificate';
export type Pools = Record<IdKind, string[]>;

const MALFORMED_IDS: ((id: string) => unknown)[] = [
  () => '',
  () => ' ',
  () => 'not-a-uuid',
  () => '00000000-0000-0000-0000-000000000000',
  () => 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  () => 123,
  () => 0,
  () => -1,
  () => 'x'.repeat(5000),
  (id) => id.replace(/-/g, ''),
  (id) => `{${id}}`,
  (id) => `urn:uuid:${id}`,
  (id) => ` ${id}`,
  (id) => `${id}\n`,
  (id) => `${id}\u0000`,
  (id) => id.slice(0, -1),
  (id) => `${id}0`,
  (id) => `${id}'; DROP TABLE profiles; --`,
  (id) => `${id}' OR '1'='1`,
  (id) => id.replace(/[0-9]/g, (digit) => String.fromCharCode(0xff10 + Number(digit))),
];

export type IdSource = 'A' | 'A-newest' | 'B' | 'random' | 'malformed';

/** An id, resolved when the request is built (tenant A's pools grow as calls succeed). */
export class IdRef {
  constructor(
    readonly source: IdSource,
    readonly kind: IdKind,
    readonly pick: number,
    readonly upper = false,
  ) {}
  resolve(poolsA: Pools, poolsB: Pools): unknown {
    const pool = (this.source === 'B' ? poolsB : poolsA)[this.kind];
    const size = this.source === 'A-newest' ? Math.min(3, pool.length) : pool.length;
    const id = this.source === 'random' ? randomUUID() : (pool[this.pick % Math.max(size, 1)] ?? randomUUID());
    if (this.source === 'malformed') return MALFORMED_IDS[this.pick % MALFORMED_IDS.length]!(id);
    return this.upper ? id.toUpperCase() : id;
  }
  [fc.toStringMethod](): string {
    return this.source === 'malformed'
      ? `malformed#${this.pick % MALFORMED_IDS.length}`
      : `${this.source}.${this.kind}[${this.pick}]${this.upper ? '.upper' : ''}`;
  }
}

const ALL_KINDS: IdKind[] = ['user', 'course', 'assignment', 'completion', 'shift', 'zone', 'equipment'];
const ACTIVE_ASSIGNMENT: IdKind[] = ['assignment', 'startable', 'started'];

/** Which ids an argument or input field named `name` (of `parent`) means. */
export function idKinds(name: string, parent: string): IdKind[] {
  switch (name) {
    case 'courseId':
      return ['course'];
    case 'userId':
    case 'userIds':
      return ['user'];
    case 'assignmentId':
      if (parent === 'startTrainingAssignment') return ['startable', 'startable', 'assignment'];
      if (parent === 'CompleteTrainingAssignmentInput') return ['started', 'started', 'assignment'];
      return ACTIVE_ASSIGNMENT;
    case 'completionId':
      return ['completion'];
    case 'ids':
      return parent === 'markNotificationsRead' ? ['notification'] : ALL_KINDS;
    case 'entityId':
      return ['user', 'zone', 'equipment'];
    case 'zoneId':
      return ['zone'];
    case 'equipmentId':
      return ['equipment'];
    case 'id':
      if (parent === 'updateTrainingCourse') return ['course'];
      if (parent === 'ProfileInput') return ['user'];
      if (parent === 'ShiftAssignmentInput') return ['shift'];
      return ALL_KINDS;
    default:
      return ALL_KINDS;
  }
}

export const idRef = (sources: fc.Arbitrary<IdSource>, kinds: IdKind[]) =>
  fc
    .tuple(sources, fc.constantFrom(...kinds), fc.nat(), fc.nat(5))
    .map(([source, kind, pick, upper]) => new IdRef(source, kind, pick, source !== 'malformed' && upper === 0));

/** This tenant's ids of the right kind (upper case now and then). */
export const sensibleId = (kinds: IdKind[]) => idRef(fc.constantFrom<IdSource>('A', 'A-newest'), kinds);

/** Ids that must not work: another tenant's, the wrong kind, unknown, malformed. */
export const edgeId = (kinds: IdKind[]) =>
  fc.oneof(
    { weight: 2, arbitrary: idRef(fc.constant<IdSource>('B'), kinds) },
    { weight: 1, arbitrary: idRef(fc.constantFrom<IdSource>('A', 'B'), ALL_KINDS) },
    { weight: 1, arbitrary: idRef(fc.constant<IdSource>('random'), kinds) },
    { weight: 3, arbitrary: idRef(fc.constant<IdSource>('malformed'), kinds) },
  );
