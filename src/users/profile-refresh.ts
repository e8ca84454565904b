import type { PrismaClient } from '../generated/prisma/client.js';
import { runAsCaller, type ProfileRefresher } from '../core/caller/index.js';

/** How long a profile checked against a token's claims is trusted to still match them (other writers exist). */
export const PROFILE_RECHECK_MS = 60_000;

/**
 * The caller's profile is created or refreshed from the token's claims: name and email when the token
 * carries them and they differ from the stored ones (a claim the token lacks leaves the stored value),
 * and the role. What this process last checked is remembered per user, so a dashboard's requests cost
 * no write, nor any statement: the profile is checked again when the claims change, when this process
 * wrote the profile otherwise (`forget`: upsertProfiles), and at least every PROFILE_RECHECK_MS, because
 * another instance or a direct writer may have changed it (e.g. cleared the email the token still
 * carries). The check itself writes only when something differs. A `locale` claim only fills a profile that
 * has no language yet: a choice the user made in the app (updateMyProfile) is theirs and stays.
 */
export function createProfileRefresher(
  prisma: PrismaClient,
  options: { maxEntries?: number; recheckMs?: number } = {},
): ProfileRefresher {
  const maxEntries = options.maxEntries ?? 50_000;
  const recheckMs = options.recheckMs ?? PROFILE_RECHECK_MS;
  const checked = new Map<string, { fingerprint: string; at: number }>();
  const keyOf = (tenantId: string, userId: string) => `${tenantId}/${userId}`;
  return {
    async ensure(identity) {
      const key = keyOf(identity.tenantId, identity.userId);
      const fingerprint = [identity.role, identity.name ?? '', identity.email ?? '', identity.locale ?? ''].join('|');
      const last = checked.get(key);
      if (last?.fingerprint === fingerprint && Date.now() - last.at < recheckMs) return;
      await runAsCaller(
        prisma,
        identity,
        (tx) =>
          tx.$executeRaw`
          INSERT INTO profiles (id, tenant_id, display_name, email, role, locale)
          VALUES (${identity.userId}::uuid, ${identity.tenantId}::uuid, ${identity.name ?? null}, ${identity.email ?? null},
                  ${identity.role}, ${identity.locale ?? null})
          ON CONFLICT (tenant_id, id) DO UPDATE SET
            display_name = COALESCE(EXCLUDED.display_name, profiles.display_name),
            email = COALESCE(EXCLUDED.email, profiles.email),
            role = EXCLUDED.role,
            locale = COALESCE(profiles.locale, EXCLUDED.locale)
          WHERE (profiles.display_name, profiles.email, profiles.role, profiles.locale)
                IS DISTINCT FROM (COALESCE(EXCLUDED.display_name, profiles.display_name),
                                  COALESCE(EXCLUDED.email, profiles.email), EXCLUDED.role,
                                  COALESCE(profiles.locale, EXCLUDED.locale))`,
      );
      if (checked.size >= maxEntries) checked.clear();
      checked.set(key, { fingerprint, at: Date.now() });
    },
    forget(tenantId, userIds) {
      for (const userId of userIds) checked.delete(keyOf(tenantId, userId));
    },
  };
}
