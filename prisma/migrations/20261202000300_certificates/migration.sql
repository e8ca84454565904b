-- Certificates (SPEC §11) and risk-adaptive validity (SPEC §12).
--
-- A passed completion of a course that issues certificates gets one row here,
-- written in the completion's own transaction (src/assignments/lifecycle.ts).
-- The code is the capability behind the public PDF and verify pages: at least
-- 128 random bits, base64url (src/certificates/certificates-sql.ts makes it).

-- Months a passed completion stays valid when the user's relevant latest risk
-- score is at or above the course's threshold as they complete it.
ALTER TABLE "training_courses"
    ADD COLUMN "high_risk_expiry_months" INTEGER CHECK ("high_risk_expiry_months" > 0),
    ADD CONSTRAINT "training_courses_high_risk_expiry_within_expiry" CHECK (
        "high_risk_expiry_months" IS NULL
        OR ("expiry_months" IS NOT NULL AND "high_risk_expiry_months" <= "expiry_months"));

CREATE TABLE "certificates" (
    "id"            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"     UUID NOT NULL,
    "completion_id" UUID NOT NULL,
    "user_id"       UUID NOT NULL,
    "course_id"     UUID NOT NULL,
    "code"          TEXT NOT NULL CHECK ("code" ~ '^[A-Za-z0-9_-]{22,64}$'),
    "issued_at"     TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "expires_at"    DATE,
    "revoked_at"    TIMESTAMPTZ(6),
    "revoked_by"    UUID,
    "revoke_reason" TEXT,
    CONSTRAINT "certificates_completion_id_key" UNIQUE ("completion_id"),
    CONSTRAINT "certificates_code_key" UNIQUE ("code"),
    CONSTRAINT "certificates_revocation_check" CHECK (
        ("revoked_at" IS NULL AND "revoked_by" IS NULL AND "revoke_reason" IS NULL)
        OR ("revoked_at" IS NOT NULL AND "revoked_by" IS NOT NULL AND "revoke_reason" IS NOT NULL)),
    CONSTRAINT "certificates_completion_id_fkey" FOREIGN KEY ("completion_id")
        REFERENCES "training_completions" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "certificates_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "certificates_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "certificates_tenant_id_user_id_idx" ON "certificates" ("tenant_id", "user_id");
CREATE INDEX "certificates_tenant_id_course_id_idx" ON "certificates" ("tenant_id", "course_id");

-- Backfill: passed completions of certifying courses recorded before this
-- migration get their certificate, and their certificate_url (once
-- `<CERTIFICATE_BASE_URL>/<completion id>`) becomes `<same base>/<code>.pdf`.
-- Codes from two random UUIDs: 244 random bits, base64url without padding.
-- Writers of completions wait for this transaction (SHARE lock), so none is
-- missed. RLS is forced even for the table owner (a migrating user that is not
-- a superuser would see no rows): lifted for this transaction, as the analytics
-- counters' backfill does.
LOCK TABLE "training_completions" IN SHARE MODE;
ALTER TABLE "training_completions" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_courses" NO FORCE ROW LEVEL SECURITY;
INSERT INTO "certificates" ("tenant_id", "completion_id", "user_id", "course_id", "code", "issued_at", "expires_at")
SELECT tc.tenant_id, tc.id, tc.user_id, tc.course_id,
       rtrim(translate(encode(decode(replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''),
                                     'hex'), 'base64'), '+/', '-_'), '='),
       coalesce(tc.completed_at, tc.created_at, now()), tc.expires_at
FROM "training_completions" tc
JOIN "training_courses" c ON c.tenant_id = tc.tenant_id AND c.id = tc.course_id
WHERE tc.passed AND c.issues_certificate;
UPDATE "training_completions" tc
SET "certificate_url" = regexp_replace(tc.certificate_url, '/[^/]*$', '/' || ce.code || '.pdf')
FROM "certificates" ce
WHERE ce.completion_id = tc.id AND tc.certificate_url IS NOT NULL;
ALTER TABLE "training_completions" FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_courses" FORCE ROW LEVEL SECURITY;

-- Like every table: RLS forced. Everyone reads the tenant's certificates their
-- role reads completions of; a certificate is issued with its completion (by the
-- worker completing, or an admin/safety officer) only for a passed completion of
-- a certifying course with the same user and course; only admins and safety
-- officers revoke.
ALTER TABLE "certificates" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON "certificates" TO "training_app";
CREATE POLICY "certificates_select" ON "certificates" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service') OR "user_id" = "app_user_id"()));
CREATE POLICY "certificates_insert" ON "certificates" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer') OR ("app_role"() = 'worker' AND "user_id" = "app_user_id"()))
           AND "revoked_at" IS NULL
           AND EXISTS (SELECT 1 FROM "training_completions" tc
                       JOIN "training_courses" c ON c.tenant_id = tc.tenant_id AND c.id = tc.course_id
                       WHERE tc.id = "certificates".completion_id
                         AND tc.tenant_id = "certificates".tenant_id
                         AND tc.user_id = "certificates".user_id
                         AND tc.course_id = "certificates".course_id
                         AND tc.passed AND c.issues_certificate));
CREATE POLICY "certificates_update" ON "certificates" FOR UPDATE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));
CREATE POLICY "certificates_delete" ON "certificates" FOR DELETE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));

-- A certificate says what it said when issued: only revocation changes it, and
-- a revocation is final.
CREATE FUNCTION "certificates_guard_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.id, NEW.tenant_id, NEW.completion_id, NEW.user_id, NEW.course_id, NEW.code, NEW.issued_at, NEW.expires_at)
       IS DISTINCT FROM
       (OLD.id, OLD.tenant_id, OLD.completion_id, OLD.user_id, OLD.course_id, OLD.code, OLD.issued_at, OLD.expires_at)
    THEN
        RAISE EXCEPTION 'a certificate can only be revoked' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.revoked_at IS NOT NULL AND (NEW.revoked_at, NEW.revoked_by, NEW.revoke_reason)
                                      IS DISTINCT FROM (OLD.revoked_at, OLD.revoked_by, OLD.revoke_reason) THEN
        RAISE EXCEPTION 'a revocation is final' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER "certificates_guard_update" BEFORE UPDATE ON "certificates"
    FOR EACH ROW EXECUTE FUNCTION "certificates_guard_update"();

-- Public verification: anyone holding a code may learn the status, holder name,
-- course title and dates of that one certificate, without a token or tenant.
-- As with scheduled_job_tenants(), no policy of "training_app" is loosened: the
-- answer comes from a SECURITY DEFINER function owned by a role that sees nothing
-- else:
--   * "training_certificate_reader" cannot log in, holds SELECT on exactly the
--     columns the function reads, and its policies show it only the certificate
--     whose code the function has put in app.certificate_code (and that
--     certificate's profile, course and completion);
--   * the function's SQL is fixed, takes only the code, returns only those
--     fields, and its search_path is pinned; only "training_app" may execute it.
DO $$
BEGIN
    CREATE ROLE "training_certificate_reader" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- roles are cluster-wide: another database (or a concurrent migration) made it
END $$;

DO $$
BEGIN
    EXECUTE format('GRANT "training_certificate_reader" TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN
    NULL;
END $$;

GRANT USAGE ON SCHEMA public TO "training_certificate_reader";
GRANT SELECT ("tenant_id", "completion_id", "user_id", "course_id", "code", "issued_at", "expires_at", "revoked_at")
    ON "certificates" TO "training_certificate_reader";
GRANT SELECT ("tenant_id", "id", "display_name") ON "profiles" TO "training_certificate_reader";
GRANT SELECT ("tenant_id", "id", "title") ON "training_courses" TO "training_certificate_reader";
GRANT SELECT ("id", "completed_at") ON "training_completions" TO "training_certificate_reader";

CREATE FUNCTION "certificate_lookup_code"() RETURNS TEXT LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.certificate_code', true), '') $$;

CREATE POLICY "certificates_lookup" ON "certificates" FOR SELECT TO "training_certificate_reader"
    USING ("code" = "certificate_lookup_code"());
CREATE POLICY "profiles_certificate_lookup" ON "profiles" FOR SELECT TO "training_certificate_reader"
    USING (EXISTS (SELECT 1 FROM "certificates" c
                   WHERE c.code = "certificate_lookup_code"() AND c.tenant_id = "profiles".tenant_id
                     AND c.user_id = "profiles".id));
CREATE POLICY "training_courses_certificate_lookup" ON "training_courses" FOR SELECT TO "training_certificate_reader"
    USING (EXISTS (SELECT 1 FROM "certificates" c
                   WHERE c.code = "certificate_lookup_code"() AND c.tenant_id = "training_courses".tenant_id
                     AND c.course_id = "training_courses".id));
CREATE POLICY "training_completions_certificate_lookup" ON "training_completions" FOR SELECT TO "training_certificate_reader"
    USING (EXISTS (SELECT 1 FROM "certificates" c
                   WHERE c.code = "certificate_lookup_code"() AND c.completion_id = "training_completions".id));

-- Status: revoked wins; otherwise expired once expires_at (the last valid day) has passed.
CREATE FUNCTION "verify_certificate"(p_code TEXT)
RETURNS TABLE (status TEXT, holder_name TEXT, course_title TEXT, completed_at TIMESTAMPTZ,
               issued_at TIMESTAMPTZ, expires_at DATE)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM set_config('app.certificate_code', coalesce(p_code, ''), true);
    RETURN QUERY
        SELECT CASE WHEN c.revoked_at IS NOT NULL THEN 'revoked'
                    WHEN c.expires_at < "training_today"() THEN 'expired'
                    ELSE 'valid' END,
               p.display_name, co.title, tc.completed_at, c.issued_at, c.expires_at
        FROM "certificates" c
        JOIN "profiles" p ON p.tenant_id = c.tenant_id AND p.id = c.user_id
        JOIN "training_courses" co ON co.tenant_id = c.tenant_id AND co.id = c.course_id
        JOIN "training_completions" tc ON tc.id = c.completion_id
        WHERE c.code = p_code;
    PERFORM set_config('app.certificate_code', '', true);
END $$;
REVOKE ALL ON FUNCTION "verify_certificate"(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "verify_certificate"(TEXT) TO "training_app";
-- A new owner needs CREATE on the schema at the moment it receives the
-- function; it keeps none afterwards.
GRANT CREATE ON SCHEMA public TO "training_certificate_reader";
ALTER FUNCTION "verify_certificate"(TEXT) OWNER TO "training_certificate_reader";
REVOKE CREATE ON SCHEMA public FROM "training_certificate_reader";

-- Risk-adaptive validity: is the user's relevant latest score at or above the
-- course's threshold now? A worker completing their own training may not read
-- risk scores, so the question is answered by a SECURITY DEFINER function owned
-- by a role that reads only the caller's tenant's scores, shifts, operators and
-- course thresholds, and answers only true or false. A worker may ask only about
-- themselves. Relevant scores, as auto-assignment reaches users: worker and
-- driver scores of the user; zone scores of zones the user has a shift in ending
-- within the last 30 days or later; equipment scores of equipment they operate;
-- only the entity types the course answers (general: all four). Latest per
-- entity by computed_at, then created_at, then id.
DO $$
BEGIN
    CREATE ROLE "training_risk_reader" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;

DO $$
BEGIN
    EXECUTE format('GRANT "training_risk_reader" TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN
    NULL;
END $$;

GRANT USAGE ON SCHEMA public TO "training_risk_reader";
GRANT SELECT ("id", "tenant_id", "entity_type", "entity_id", "score", "computed_at", "created_at")
    ON "predictive_scores" TO "training_risk_reader";
GRANT SELECT ("tenant_id", "zone_id", "user_id", "ends_at") ON "shift_assignments" TO "training_risk_reader";
GRANT SELECT ("tenant_id", "equipment_id", "user_id") ON "equipment_operators" TO "training_risk_reader";
GRANT SELECT ("tenant_id", "id", "risk_threshold", "entity_type") ON "training_courses" TO "training_risk_reader";
CREATE POLICY "predictive_scores_risk_reader" ON "predictive_scores" FOR SELECT TO "training_risk_reader"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "shift_assignments_risk_reader" ON "shift_assignments" FOR SELECT TO "training_risk_reader"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "equipment_operators_risk_reader" ON "equipment_operators" FOR SELECT TO "training_risk_reader"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "training_courses_risk_reader" ON "training_courses" FOR SELECT TO "training_risk_reader"
    USING ("tenant_id" = "app_tenant_id"());

CREATE FUNCTION "training_user_at_risk"(p_course_id UUID, p_user_id UUID) RETURNS BOOLEAN
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH course AS (
        SELECT c.risk_threshold, c.entity_type FROM "training_courses" c
        WHERE c.tenant_id = "app_tenant_id"() AND c.id = p_course_id AND c.risk_threshold IS NOT NULL
          AND (p_user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer', 'service'))
    ), entities AS (
        SELECT 'worker'::text AS entity_type, p_user_id AS entity_id
        UNION ALL SELECT 'driver', p_user_id
        UNION ALL SELECT DISTINCT 'zone', sh.zone_id FROM "shift_assignments" sh
            WHERE sh.tenant_id = "app_tenant_id"() AND sh.user_id = p_user_id AND sh.ends_at > now() - interval '30 days'
        UNION ALL SELECT DISTINCT 'equipment', eo.equipment_id FROM "equipment_operators" eo
            WHERE eo.tenant_id = "app_tenant_id"() AND eo.user_id = p_user_id
    ), latest AS (
        SELECT (SELECT s.score FROM "predictive_scores" s
                WHERE s.tenant_id = "app_tenant_id"() AND s.entity_type = e.entity_type AND s.entity_id = e.entity_id
                ORDER BY s.computed_at DESC, s.created_at DESC, s.id DESC LIMIT 1) AS score
        FROM entities e, course c
        WHERE c.entity_type = e.entity_type OR c.entity_type = 'general'
    )
    SELECT coalesce(bool_or(l.score >= c.risk_threshold), false) FROM latest l, course c
$$;
REVOKE ALL ON FUNCTION "training_user_at_risk"(UUID, UUID) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "training_user_at_risk"(UUID, UUID) TO "training_app";
GRANT CREATE ON SCHEMA public TO "training_risk_reader";
ALTER FUNCTION "training_user_at_risk"(UUID, UUID) OWNER TO "training_risk_reader";
REVOKE CREATE ON SCHEMA public FROM "training_risk_reader";
