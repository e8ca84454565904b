-- Each user's language, and each tenant's name and logo on what its workers receive outside the app.

-- 1. The user's language: a BCP-47 tag the API has matched to a language it speaks (token claim `locale`
--    or updateMyProfile). Only the tag's shape is checked here, so adding a language needs no migration;
--    null: English.
ALTER TABLE "profiles" ADD COLUMN "locale" TEXT
    CHECK (char_length("locale") <= 35 AND "locale" ~ '^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$');

-- 2. The tenant's branding, one row per tenant (none: the product's name and no logo). The logo is kept
--    here, small and checked (PNG or JPEG), because every place that shows it is outside the app: the PDF
--    embeds its bytes, and e-mails and the public verify page load it by its content hash from
--    /branding/logo/<sha256>, a public address that never changes while the logo does not.
CREATE TABLE "tenant_settings" (
    "tenant_id"   UUID PRIMARY KEY,
    "name"        TEXT CHECK (char_length("name") BETWEEN 1 AND 120),
    "logo"        BYTEA CHECK (octet_length("logo") BETWEEN 1 AND 262144),
    "logo_type"   TEXT CHECK ("logo_type" IN ('image/png', 'image/jpeg')),
    "logo_sha256" TEXT CHECK ("logo_sha256" ~ '^[0-9a-f]{64}$'),
    "updated_at"  TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "updated_by"  UUID,
    CHECK (("logo" IS NULL) = ("logo_type" IS NULL) AND ("logo" IS NULL) = ("logo_sha256" IS NULL))
);
CREATE INDEX "tenant_settings_logo_sha256_idx" ON "tenant_settings" ("logo_sha256") WHERE "logo_sha256" IS NOT NULL;

ALTER TABLE "tenant_settings" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON "tenant_settings" TO "training_app";
-- Everyone in the tenant reads its branding (the app shows it); only admins change it.
CREATE POLICY "tenant_settings_select" ON "tenant_settings" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "tenant_settings_insert" ON "tenant_settings" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'admin');
CREATE POLICY "tenant_settings_update" ON "tenant_settings" FOR UPDATE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'admin')
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'admin');
-- Audited like every tenant table; the logo's bytes show as "[redacted]" (its hash shows the change).
SELECT "audit_attach"('tenant_settings', 'tenant_id', '{logo}');

-- 3. The public logo: a narrow SECURITY DEFINER function, as for verify_certificate(), owned by a role that
--    cannot log in and sees only the row whose hash the function has set.
DO $$
BEGIN
    CREATE ROLE "training_brand_reader" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;
DO $$
BEGIN
    EXECUTE format('GRANT "training_brand_reader" TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN
    NULL;
END $$;
GRANT USAGE ON SCHEMA public TO "training_brand_reader";
GRANT SELECT ("logo", "logo_type", "logo_sha256") ON "tenant_settings" TO "training_brand_reader";
CREATE POLICY "tenant_settings_logo_lookup" ON "tenant_settings" FOR SELECT TO "training_brand_reader"
    USING ("logo_sha256" = NULLIF(current_setting('app.logo_sha256', true), ''));
CREATE FUNCTION "tenant_logo"(p_sha256 TEXT)
RETURNS TABLE (logo BYTEA, logo_type TEXT)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM set_config('app.logo_sha256', coalesce(p_sha256, ''), true);
    RETURN QUERY SELECT s.logo, s.logo_type FROM "tenant_settings" s WHERE s.logo_sha256 = p_sha256 LIMIT 1;
    PERFORM set_config('app.logo_sha256', '', true);
END $$;
REVOKE ALL ON FUNCTION "tenant_logo"(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "tenant_logo"(TEXT) TO "training_app";
GRANT CREATE ON SCHEMA public TO "training_brand_reader";
ALTER FUNCTION "tenant_logo"(TEXT) OWNER TO "training_brand_reader";
REVOKE CREATE ON SCHEMA public FROM "training_brand_reader";

-- 4. The verify page and the PDF name the issuing organisation and speak the holder's language: the
--    certificate reader also sees that tenant's name and logo hash and the holder's locale.
GRANT SELECT ("locale") ON "profiles" TO "training_certificate_reader";
GRANT SELECT ("tenant_id", "name", "logo", "logo_type", "logo_sha256") ON "tenant_settings" TO "training_certificate_reader";
CREATE POLICY "tenant_settings_certificate_lookup" ON "tenant_settings" FOR SELECT TO "training_certificate_reader"
    USING (EXISTS (SELECT 1 FROM "certificates" c
                   WHERE c.code = "certificate_lookup_code"() AND c.tenant_id = "tenant_settings".tenant_id));
DROP FUNCTION "verify_certificate"(TEXT);
CREATE FUNCTION "verify_certificate"(p_code TEXT)
RETURNS TABLE (status TEXT, holder_name TEXT, course_title TEXT, completed_at TIMESTAMPTZ,
               issued_at TIMESTAMPTZ, expires_at DATE, evidence JSONB, holder_locale TEXT,
               tenant_name TEXT, logo BYTEA, logo_sha256 TEXT)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM set_config('app.certificate_code', coalesce(p_code, ''), true);
    RETURN QUERY
        SELECT CASE WHEN c.revoked_at IS NOT NULL THEN 'revoked'
                    WHEN c.expires_at < "training_today"() THEN 'expired'
                    ELSE 'valid' END,
               p.display_name, co.title, tc.completed_at, c.issued_at, c.expires_at, tc.evidence, p.locale,
               ts.name, ts.logo, ts.logo_sha256
        FROM "certificates" c
        JOIN "profiles" p ON p.tenant_id = c.tenant_id AND p.id = c.user_id
        JOIN "training_courses" co ON co.tenant_id = c.tenant_id AND co.id = c.course_id
        JOIN "training_completions" tc ON tc.id = c.completion_id
        LEFT JOIN "tenant_settings" ts ON ts.tenant_id = c.tenant_id
        WHERE c.code = p_code;
    PERFORM set_config('app.certificate_code', '', true);
END $$;
REVOKE ALL ON FUNCTION "verify_certificate"(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "verify_certificate"(TEXT) TO "training_app";
GRANT CREATE ON SCHEMA public TO "training_certificate_reader";
ALTER FUNCTION "verify_certificate"(TEXT) OWNER TO "training_certificate_reader";
REVOKE CREATE ON SCHEMA public FROM "training_certificate_reader";

-- 5. E-mails speak the recipient's language, name the organisation and say why the training was
--    assigned; a reminder or "new training" whose assignment was cancelled or completed before the
--    deliverer reached it is not sent but marked skipped with that reason (email_last_error), as rows
--    without an address are. The claim's result type changes, so it is made again with its owner.
GRANT SELECT ("locale") ON "profiles" TO "training_mailer";
GRANT SELECT ("status", "assignment_reason") ON "training_assignments" TO "training_mailer";
GRANT SELECT ("tenant_id", "name", "logo_sha256") ON "tenant_settings" TO "training_mailer";
CREATE POLICY "tenant_settings_mailer" ON "tenant_settings" FOR SELECT TO "training_mailer" USING (true);
DROP FUNCTION "notification_emails_claim"(INTEGER, INTEGER, INTEGER, INTEGER);
CREATE FUNCTION "notification_emails_claim"(p_limit INTEGER, p_per_tenant INTEGER, p_scan INTEGER, p_lease_seconds INTEGER)
RETURNS TABLE (
    id UUID, tenant_id UUID, user_id UUID, kind TEXT, attempts INTEGER, assignment_id UUID,
    email TEXT, display_name TEXT, course_title TEXT, due_date DATE, expires_at DATE, skipped_because TEXT,
    locale TEXT, assignment_reason TEXT, tenant_name TEXT, logo_sha256 TEXT
) LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH RECURSIVE bounds AS (
        SELECT least(greatest(p_limit, 1), 500) AS total,
               least(greatest(p_per_tenant, 1), 500) AS per_tenant,
               least(greatest(p_scan, p_per_tenant, 1), 5000) AS scan
    ), queued(tenant_id) AS (
        (SELECT q.tenant_id FROM "notifications" q WHERE q.email_status IN ('pending', 'sending')
         ORDER BY q.tenant_id LIMIT 1)
        UNION ALL
        SELECT (SELECT q.tenant_id FROM "notifications" q
                WHERE q.email_status IN ('pending', 'sending') AND q.tenant_id > queued.tenant_id
                ORDER BY q.tenant_id LIMIT 1)
        FROM queued WHERE queued.tenant_id IS NOT NULL
    ), due_tenants AS (
        SELECT queued.tenant_id, oldest.waiting_since
        FROM queued
        CROSS JOIN LATERAL (
            SELECT q.email_next_attempt_at AS waiting_since FROM "notifications" q
            WHERE q.tenant_id = queued.tenant_id AND q.email_status IN ('pending', 'sending')
            ORDER BY q.email_next_attempt_at LIMIT 1
        ) oldest
        WHERE queued.tenant_id IS NOT NULL AND oldest.waiting_since <= now()
        ORDER BY oldest.waiting_since, queued.tenant_id
        LIMIT (SELECT total FROM bounds)
    ), examined AS (
        SELECT n.id, n.tenant_id, n.user_id, n.kind, n.email_next_attempt_at AS due_at, t.waiting_since,
               CASE WHEN p.email IS NULL OR btrim(p.email) = '' THEN 'no e-mail address'
                    WHEN NOT "email_address_acceptable"(p.email) THEN 'invalid e-mail address'
                    WHEN n.kind = ANY (np.email_opt_out) THEN 'opted out'
                    WHEN n.kind IN ('assignment_created', 'due_soon', 'overdue', 'recertification_assigned')
                         AND a.status = 'cancelled' THEN 'assignment cancelled'
                    WHEN n.kind IN ('assignment_created', 'due_soon', 'overdue', 'recertification_assigned')
                         AND a.status = 'completed' THEN 'assignment already completed' END AS skipped_because
        FROM due_tenants t
        CROSS JOIN LATERAL (
            SELECT d.id, d.tenant_id, d.user_id, d.kind, d.assignment_id, d.email_next_attempt_at FROM "notifications" d
            WHERE d.tenant_id = t.tenant_id AND d.email_status IN ('pending', 'sending')
              AND d.email_next_attempt_at <= now()
            ORDER BY d.email_next_attempt_at LIMIT (SELECT scan FROM bounds)
            FOR UPDATE SKIP LOCKED
        ) n
        LEFT JOIN "profiles" p ON p.tenant_id = n.tenant_id AND p.id = n.user_id
        LEFT JOIN "notification_preferences" np ON np.tenant_id = n.tenant_id AND np.user_id = n.user_id
        LEFT JOIN "training_assignments" a ON a.tenant_id = n.tenant_id AND a.id = n.assignment_id
    ), turns AS (
        SELECT e.id, e.waiting_since, e.tenant_id,
               row_number() OVER (PARTITION BY e.tenant_id ORDER BY e.due_at, e.id) AS turn
        FROM examined e WHERE e.skipped_because IS NULL
    ), chosen AS (
        SELECT turns.id, turns.turn, turns.waiting_since, turns.tenant_id FROM turns
        WHERE turns.turn <= (SELECT per_tenant FROM bounds)
        ORDER BY turns.turn, turns.waiting_since, turns.tenant_id
        LIMIT (SELECT total FROM bounds)
    ), skipped AS (
        UPDATE "notifications" n SET email_status = 'skipped', email_last_error = e.skipped_because
        FROM examined e WHERE n.id = e.id AND e.skipped_because IS NOT NULL
        RETURNING n.id, n.tenant_id, n.user_id, n.kind, n.email_attempts, n.assignment_id, e.skipped_because
    ), claimed AS (
        UPDATE "notifications" n
        SET email_status = 'sending', email_attempts = n.email_attempts + 1,
            email_next_attempt_at = now() + make_interval(secs => greatest(p_lease_seconds, 1))
        FROM chosen WHERE n.id = chosen.id
        RETURNING n.id, n.tenant_id, n.user_id, n.kind, n.email_attempts, n.assignment_id, n.completion_id,
                  chosen.turn, chosen.waiting_since
    )
    SELECT r.id, r.tenant_id, r.user_id, r.kind, r.attempts, r.assignment_id, r.email, r.display_name,
           r.course_title, r.due_date, r.expires_at, r.skipped_because,
           r.locale, r.assignment_reason, r.tenant_name, r.logo_sha256
    FROM (
        SELECT c.id, c.tenant_id, c.user_id, c.kind, c.email_attempts AS attempts, c.assignment_id,
               p.email, p.display_name, co.title AS course_title, a.due_date, tc.expires_at,
               NULL::text AS skipped_because, p.locale, a.assignment_reason, ts.name AS tenant_name, ts.logo_sha256,
               0 AS part, c.turn, c.waiting_since, c.tenant_id AS tie
        FROM claimed c
        LEFT JOIN "profiles" p ON p.tenant_id = c.tenant_id AND p.id = c.user_id
        LEFT JOIN "training_assignments" a ON a.tenant_id = c.tenant_id AND a.id = c.assignment_id
        LEFT JOIN "training_completions" tc ON tc.tenant_id = c.tenant_id AND tc.id = c.completion_id
        LEFT JOIN "training_courses" co ON co.tenant_id = c.tenant_id AND co.id = COALESCE(a.course_id, tc.course_id)
        LEFT JOIN "tenant_settings" ts ON ts.tenant_id = c.tenant_id
        UNION ALL
        SELECT s.id, s.tenant_id, s.user_id, s.kind, s.email_attempts, s.assignment_id,
               NULL, NULL, NULL, NULL, NULL, s.skipped_because, NULL, NULL, NULL, NULL, 1, NULL, NULL, NULL
        FROM skipped s
    ) r
    ORDER BY r.part, r.turn, r.waiting_since, r.tie
$$;

REVOKE ALL ON FUNCTION "notification_emails_claim"(INTEGER, INTEGER, INTEGER, INTEGER) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "notification_emails_claim"(INTEGER, INTEGER, INTEGER, INTEGER) TO "training_app";
GRANT CREATE ON SCHEMA public TO "training_mailer";
ALTER FUNCTION "notification_emails_claim"(INTEGER, INTEGER, INTEGER, INTEGER) OWNER TO "training_mailer";
REVOKE CREATE ON SCHEMA public FROM "training_mailer";
