import { randomBytes } from 'node:crypto';
import { builder } from '../core/builder.js';
import { conflict, notFound } from '../core/errors.js';
import type { FollowedChannel } from '../core/live-events/index.js';
import * as validate from '../core/validate.js';
import { forgetCredential, sha256 } from './launch.js';

/**
 * LRS credentials: an admin creates one for a tool that sends statements (its secret is shown once), lists the
 * tenant's, and revokes one. A revoked credential is refused with 401 from its next request on, on every instance:
 * the revoking transaction NOTIFYs `lrsCredentialRevoked` with the id, and each instance drops it from its cache
 * of verified credentials (launch.ts).
 */

export const lrsCredentialRevoked: FollowedChannel = { kind: 'followed', name: 'lrs_credential_revoked' };

interface Credential {
  id: string;
  name: string;
  /** Only in createLrsCredential's answer. */
  secret: string | null;
  endpoint: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const LrsCredential = builder.objectRef<Credential>('LrsCredential');
LrsCredential.implement({
  description: 'A credential for the LRS at /xapi: HTTP Basic with `username` and `secret`.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    username: t.string({ description: 'The HTTP Basic user name (the id).', resolve: (credential) => credential.id }),
    secret: t.exposeString('secret', {
      nullable: true,
      description: 'The HTTP Basic password: only in the answer of createLrsCredential (null elsewhere), kept hashed.',
    }),
    endpoint: t.exposeString('endpoint', { description: "The LRS's endpoint, for the tool's settings." }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    revokedAt: t.expose('revokedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was revoked (refused from then on); null while it works.',
    }),
  }),
});

const endpointOf = (publicUrl: string) => `${publicUrl}/xapi/`;

builder.queryField('lrsCredentials', (t) =>
  t.withAuth({ may: 'xapi.credentials' }).field({
    type: [LrsCredential],
    description: "The LRS credentials of the caller's tenant, revoked ones included, newest first (admins).",
    resolve: async (_root, _args, context) => {
      const rows = await context.db.lrsCredential.findMany({
        where: { tenantId: context.caller.tenantId },
        select: { id: true, name: true, createdAt: true, revokedAt: true },
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      });
      const endpoint = endpointOf(context.services.config.publicUrl);
      return rows.map((row) => ({ ...row, secret: null, endpoint }));
    },
  }),
);

builder.mutationField('createLrsCredential', (t) =>
  t.withAuth({ may: 'xapi.credentials' }).field({
    type: LrsCredential,
    description: "Creates an LRS credential for the caller's tenant (admins). The secret is in this answer only.",
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, args, context) => {
      const name = validate.text('name', args.name, { min: 1, max: 200 });
      const secret = randomBytes(32).toString('base64url');
      const { tenantId, userId } = context.caller;
      const row = await context.transaction((tx) =>
        tx.lrsCredential.create({
          data: { tenantId, name, secretHash: sha256(secret), createdBy: userId },
          select: { id: true, createdAt: true },
        }),
      );
      return { ...row, name, secret, endpoint: endpointOf(context.services.config.publicUrl), revokedAt: null };
    },
  }),
);

builder.mutationField('revokeLrsCredential', (t) =>
  t.withAuth({ may: 'xapi.credentials' }).field({
    type: LrsCredential,
    description:
      "Revokes one of the tenant's LRS credentials (admins): every request with it is refused (401) from now on. " +
      'Revoking it again is CONFLICT; an id of no credential of the tenant is NOT_FOUND.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, context) => {
      const id = validate.uuid('id', String(args.id));
      const { tenantId } = context.caller;
      const row = await context.transaction(async (tx) => {
        // The notification is sent at commit, so no instance forgets a credential whose revocation rolled back.
        const [revoked] = await tx.$queryRaw<{ id: string; name: string; created_at: Date; revoked_at: Date }[]>`
          WITH revoked AS (
            UPDATE lrs_credentials SET revoked_at = now()
            WHERE tenant_id = ${tenantId}::uuid AND id = ${id}::uuid AND revoked_at IS NULL
            RETURNING id, name, created_at, revoked_at
          )
          SELECT id::text, name, created_at, revoked_at, pg_notify(${lrsCredentialRevoked.name}, id::text)::text AS notified
          FROM revoked`;
        if (revoked) return revoked;
        const existing = await tx.lrsCredential.findFirst({ where: { tenantId, id }, select: { id: true } });
        if (!existing) throw notFound('LRS credential');
        throw conflict('This LRS credential is already revoked');
      });
      forgetCredential(row.id);
      return {
        id: row.id,
        name: row.name,
        secret: null,
        endpoint: endpointOf(context.services.config.publicUrl),
        createdAt: row.created_at,
        revokedAt: row.revoked_at,
      };
    },
  }),
);
