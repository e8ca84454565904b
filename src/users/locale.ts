import { builder } from '../core/builder.js';
import { badInput } from '../core/errors.js';
import { LOCALES, supportedLocale } from '../core/i18n/index.js';
import { User } from './user.js';
import { Rule } from '../core/field-rules.js';

/**
 * The user's language: what their e-mails and certificates are written in (the web app follows it too).
 * Set by the token's `locale` claim while the profile has none, and by the user with updateMyProfile.
 */

builder.objectField(User, 'locale', (t) =>
  t.withAuth({ authenticated: true }).string({
    nullable: true,
    description:
      "The user's language, a BCP-47 tag (en, es, pl, vi, or one of their regions such as es-MX); null: " +
      "English. The caller's own only; null for anyone else.",
    resolve: async (user, _args, context) => {
      if (user.id !== context.caller.userId) return null;
      const row = await context.db.profile.findUnique({
        where: { tenantId_id: { tenantId: context.caller.tenantId, id: user.id } },
        select: { locale: true },
      });
      return row?.locale ?? null;
    },
  }),
);

export const MyProfileInput = builder.inputType('MyProfileInput', {
  fields: (t) => ({
    locale: t.string({
      description: `A BCP-47 tag whose language the product speaks (${LOCALES.join(', ')}); null: English. Absent: left as it is.`,
    }),
  }),
});

builder.mutationField('updateMyProfile', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: User,
    description: "Changes the caller's own profile settings (their language); returns the caller.",
    args: { input: t.arg({ type: MyProfileInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { tenantId, userId } = context.caller;
      if (input.locale === undefined) return { id: userId };
      let locale: string | null = null;
      if (input.locale !== null) {
        locale = (input.locale.length <= 35 ? supportedLocale(input.locale) : undefined) ?? null;
        if (locale === null) {
          throw badInput(
            'input.locale',
            `must be a BCP-47 language tag of a language this product speaks: ${LOCALES.join(', ')} (e.g. es or es-MX)`,
            Rule.locale,
            { languages: LOCALES.join(', ') },
          );
        }
      }
      // The request's profile refresh made the row before the resolver ran.
      await context.db.profile.update({
        where: { tenantId_id: { tenantId, id: userId } },
        data: { locale, updatedAt: new Date() },
        select: { id: true },
      });
      return { id: userId };
    },
  }),
);
