import type { Caller } from './caller/index.js';
import { forbidden } from './errors.js';

/** Every role a token may carry. */
export const ROLES = ['admin', 'safety_officer', 'worker', 'service'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Which roles may do what: the one table of the API's role rules. A field names its
 * permission (`t.withAuth({ may: 'courses.manage' })`); scope-auth checks it before the
 * resolver runs. PostgreSQL's RLS policies enforce the same rules underneath.
 */
export const PERMISSIONS = {
  /** Create and change the tenant's courses. */
  'courses.manage': ['admin', 'safety_officer'],
  /** Assign, cancel and change assignments of anyone in the tenant. */
  'assignments.manage': ['admin', 'safety_officer'],
  /** Start and complete one's own training. */
  'assignments.learn': ['admin', 'safety_officer', 'worker'],
  /** Read analytics (a worker: their own figures only). */
  'analytics.read': ['admin', 'safety_officer', 'worker'],
  /** Run risk-based auto-assignment. */
  'risk.autoAssign': ['admin', 'safety_officer', 'service'],
  /** Run recertification (renewals of expiring completions) now. */
  'recertification.run': ['admin', 'safety_officer', 'service'],
  /** Send risk scores. */
  'risk.ingestScores': ['admin', 'service'],
  /** Feed profiles, shifts and equipment from other systems. */
  'users.feed': ['admin', 'service'],
  /** Revoke the tenant's certificates. */
  'certificates.revoke': ['admin', 'safety_officer'],
  /** Read risk escalations and who is qualified on a zone or piece of equipment. */
  'risk.oversee': ['admin', 'safety_officer', 'service'],
  /** Read anyone's training in the tenant (everyone else reads only their own). */
  'training.readAnyone': ['admin', 'safety_officer', 'service'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export const may = (role: Role, permission: Permission): boolean =>
  (PERMISSIONS[permission] as readonly Role[]).includes(role);

/** A worker may only look at their own training; everyone else at the tenant's. */
export function assertMayReadUser(context: { caller: Caller }, userId: string): void {
  const { caller } = context;
  if (caller.userId !== userId && !may(caller.role, 'training.readAnyone')) {
    throw forbidden('A worker may only read their own training');
  }
}
