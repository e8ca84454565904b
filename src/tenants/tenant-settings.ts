import { builder } from '../core/builder.js';
import type { CallerContext } from '../core/caller/index.js';
import * as validate from '../core/validate.js';
import { DEFAULT_ORGANISATION_NAME, logoPath, parseLogo, type Logo } from './branding.js';

/**
 * The tenant's name and logo: what e-mails, certificates and the verify page show as the issuing
 * organisation. Everyone in the tenant reads them; admins change them (RLS says so too), audited.
 */

const NAME_MAX = 120;

interface SettingsRow {
  name: string | null;
  logoSha256: string | null;
  updatedAt: Date | null;
}

export const TenantSettings = builder.objectRef<SettingsRow>('TenantSettings').implement({
  description: "The tenant's branding on what its people receive outside the app.",
  fields: (t) => ({
    name: t.string({
      description: `The organisation's name; "${DEFAULT_ORGANISATION_NAME}" until an admin sets one.`,
      resolve: (row) => row.name ?? DEFAULT_ORGANISATION_NAME,
    }),
    logoUrl: t.string({
      nullable: true,
      description: 'Where the logo is served (public, cached for good: the address changes with the logo); null: none.',
      resolve: (row, _args, context) =>
        row.logoSha256 ? context.services.config.publicUrl + logoPath(row.logoSha256) : null,
    }),
    updatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (row) => row.updatedAt }),
  }),
});

const read = async (context: CallerContext): Promise<SettingsRow> =>
  (await context.db.tenantSetting.findUnique({
    where: { tenantId: context.caller.tenantId },
    select: { name: true, logoSha256: true, updatedAt: true },
  })) ?? { name: null, logoSha256: null, updatedAt: null };

builder.queryField('tenantSettings', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: TenantSettings,
    description: "The caller's tenant's name and logo.",
    resolve: (_root, _args, context) => read(context),
  }),
);

export const TenantSettingsInput = builder.inputType('TenantSettingsInput', {
  fields: (t) => ({
    name: t.string({
      description: `The organisation's name (1 to ${NAME_MAX} characters). Absent: left as it is; null: the product's name.`,
    }),
    logo: t.string({
      description:
        'A PNG or JPEG of at most 256 KiB, as base64 or a data: URL (its bytes are checked). Absent: left as it ' +
        'is; null: no logo.',
    }),
  }),
});

builder.mutationField('updateTenantSettings', (t) =>
  t.withAuth({ may: 'tenant.settings' }).field({
    type: TenantSettings,
    description: "Sets the tenant's name and logo (admin). Recorded in the audit trail.",
    args: { input: t.arg({ type: TenantSettingsInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const name =
        input.name === undefined || input.name === null
          ? input.name
          : validate.text('input.name', input.name, { min: 1, max: NAME_MAX });
      let logo: Logo | null | undefined = input.logo === undefined || input.logo === null ? input.logo : undefined;
      if (typeof input.logo === 'string') logo = await parseLogo(input.logo);
      const { tenantId, userId } = context.caller;
      const fields = {
        ...(name !== undefined && { name }),
        ...(logo !== undefined && {
          logo: logo ? new Uint8Array(logo.bytes) : null,
          logoType: logo?.type ?? null,
          logoSha256: logo?.sha256 ?? null,
        }),
        updatedAt: new Date(),
        updatedBy: userId,
      };
      return context.db.tenantSetting.upsert({
        where: { tenantId },
        create: { tenantId, ...fields },
        update: fields,
        select: { name: true, logoSha256: true, updatedAt: true },
      });
    },
  }),
);
