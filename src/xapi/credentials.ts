import { randomBytes } from 'node:crypto';
import { builder } from '../core/builder.js';
import * as validate from '../core/validate.js';
import { sha256 } from './launch.js';

/** LRS credentials: an admin creates one for a tool that sends statements; its secret is shown once. */

interface CreatedCredential {
  id: string;
  name: string;
  secret: string;
  endpoint: string;
  createdAt: Date;
}

const LrsCredential = builder.objectRef<CreatedCredential>('LrsCredential');
LrsCredential.implement({
  description: 'A credential for the LRS at /xapi: HTTP Basic with `username` and `secret`.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    username: t.string({ description: 'The HTTP Basic user name (the id).', resolve: (credential) => credential.id }),
    secret: t.exposeString('secret', {
      description: 'The HTTP Basic password: shown only in this answer, kept hashed.',
    }),
    endpoint: t.exposeString('endpoint', { description: "The LRS's endpoint, for the tool's settings." }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

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
      return { ...row, name, secret, endpoint: `${context.services.config.publicUrl}/xapi/` };
    },
  }),
);
