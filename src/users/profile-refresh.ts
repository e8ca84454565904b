import type { PrismaClient } from '../generated/prisma/client.js';
import { runAsCaller, type ProfileRefresher } from '../core/caller/index.js';

/**
 * The caller's profile is created or refreshed from the token's claims on first
 * use. Remembering what was last written keeps this to one write per user per
 * process instead of one per request.
 */
export function createProfileRefresher(prisma: PrismaClient, maxEntries = 50_000): ProfileRefresher {
  const written = new Map<string, string>();
  return {
    async ensure(identity) {
      const key = `${identity.tenantId}/${identity.userId}`;
      const fingerprint = [identity.role, identity.name ?? '', identity.email ?? ''].join('|');
      if (written.get(key) === fingerprint) return;
      await runAsCaller(
        prisma,
        identity,
        (tx) =>
          tx.$executeRaw`
          INSERT INTO profiles (id, tenant_id, display_name, email, role)
          VALUES (${identity.userId}::uuid, ${identity.tenantId}::uuid, ${identity.name ?? null}, ${identity.email ?? null}, ${identity.role})
          ON CONFLICT (tenant_id, id) DO UPDATE SET
            display_name = COALESCE(EXCLUDED.display_name, profiles.display_name),
            email = COALESCE(EXCLUDED.email, profiles.email),
            role = EXCLUDED.role
          WHERE (profiles.display_name, profiles.email, profiles.role)
                IS DISTINCT FROM (COALESCE(EXCLUDED.display_name, profiles.display_name),
                                  COALESCE(EXCLUDED.email, profiles.email), EXCLUDED.role)`,
      );
      if (written.size >= maxEntries) written.clear();
      written.set(key, fingerprint);
    },
  };
}
