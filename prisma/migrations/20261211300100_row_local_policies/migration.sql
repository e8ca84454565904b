-- No row-level security policy holds a subquery: each tests the row's own columns against settings, which
-- a cluster that distributes the tenant tables (Citus) can apply on the node of each row. What the
-- policies' EXISTS looked up elsewhere is now, with the same rows visible or refused:
--   * the certificate lookup: verify_certificate() reads the certificate by its code first and names its
--     tenant, holder, course and completion in settings; the other tables' lookup policies compare with those;
--   * whose quiz attempt a shown question or an answer belongs to: a user_id column, copied from the attempt
--     as the row is inserted and held to it by the foreign key;
--   * the checks of a new row against other rows (a completion matches its assignment, a certificate its
--     passed completion of a certifying course, evidence its passed quiz or satisfied modules, progress its
--     assignee): looked up by BEFORE INSERT triggers, whose verdict the policy reads from a setting (below).
--     Each trigger fires after the table's other BEFORE INSERT triggers (by name), so it sees the row the
--     policy sees.

-- 1. The certificate lookup.
CREATE FUNCTION "certificate_lookup_key"(p_part TEXT) RETURNS UUID LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.certificate_' || p_part, true), '')::uuid $$;

DROP POLICY "profiles_certificate_lookup" ON "profiles";
CREATE POLICY "profiles_certificate_lookup" ON "profiles" FOR SELECT TO "training_certificate_reader"
    USING ("tenant_id" = "certificate_lookup_key"('tenant') AND "id" = "certificate_lookup_key"('user'));
DROP POLICY "training_courses_certificate_lookup" ON "training_courses";
CREATE POLICY "training_courses_certificate_lookup" ON "training_courses" FOR SELECT TO "training_certificate_reader"
    USING ("tenant_id" = "certificate_lookup_key"('tenant') AND "id" = "certificate_lookup_key"('course'));
DROP POLICY "training_completions_certificate_lookup" ON "training_completions";
CREATE POLICY "training_completions_certificate_lookup" ON "training_completions" FOR SELECT
    TO "training_certificate_reader"
    USING ("tenant_id" = "certificate_lookup_key"('tenant') AND "id" = "certificate_lookup_key"('completion'));
DROP POLICY "tenant_settings_certificate_lookup" ON "tenant_settings";
CREATE POLICY "tenant_settings_certificate_lookup" ON "tenant_settings" FOR SELECT TO "training_certificate_reader"
    USING ("tenant_id" = "certificate_lookup_key"('tenant'));

-- The join names the completion's tenant too (one completion has one certificate).
GRANT SELECT ("tenant_id") ON "training_completions" TO "training_certificate_reader";
DROP FUNCTION "verify_certificate"(TEXT);
CREATE FUNCTION "verify_certificate"(p_code TEXT)
RETURNS TABLE (status TEXT, holder_name TEXT, course_title TEXT, completed_at TIMESTAMPTZ,
               issued_at TIMESTAMPTZ, expires_at DATE, evidence JSONB, holder_locale TEXT,
               tenant_name TEXT, logo BYTEA, logo_sha256 TEXT)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_certificate RECORD;
BEGIN
    -- certificates_lookup shows the certificates of this code; each names the rows the others show.
    PERFORM set_config('app.certificate_code', coalesce(p_code, ''), true);
    FOR v_certificate IN
        SELECT c.tenant_id, c.user_id, c.course_id, c.completion_id FROM "certificates" c WHERE c.code = p_code
    LOOP
        PERFORM set_config('app.certificate_tenant', v_certificate.tenant_id::text, true),
                set_config('app.certificate_user', v_certificate.user_id::text, true),
                set_config('app.certificate_course', v_certificate.course_id::text, true),
                set_config('app.certificate_completion', v_certificate.completion_id::text, true);
        RETURN QUERY
            SELECT CASE WHEN c.revoked_at IS NOT NULL THEN 'revoked'
                        WHEN c.expires_at < "training_today"() THEN 'expired'
                        ELSE 'valid' END,
                   p.display_name, co.title, tc.completed_at, c.issued_at, c.expires_at, tc.evidence, p.locale,
                   ts.name, ts.logo, ts.logo_sha256
            FROM "certificates" c
            JOIN "profiles" p ON p.tenant_id = c.tenant_id AND p.id = c.user_id
            JOIN "training_courses" co ON co.tenant_id = c.tenant_id AND co.id = c.course_id
            JOIN "training_completions" tc ON tc.tenant_id = c.tenant_id AND tc.id = c.completion_id
            LEFT JOIN "tenant_settings" ts ON ts.tenant_id = c.tenant_id
            WHERE c.tenant_id = v_certificate.tenant_id AND c.completion_id = v_certificate.completion_id;
    END LOOP;
    PERFORM set_config('app.certificate_code', '', true), set_config('app.certificate_tenant', '', true),
            set_config('app.certificate_user', '', true), set_config('app.certificate_course', '', true),
            set_config('app.certificate_completion', '', true);
END $$;
REVOKE ALL ON FUNCTION "verify_certificate"(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "verify_certificate"(TEXT) TO "training_app";
GRANT CREATE ON SCHEMA public TO "training_certificate_reader";
ALTER FUNCTION "verify_certificate"(TEXT) OWNER TO "training_certificate_reader";
REVOKE CREATE ON SCHEMA public FROM "training_certificate_reader";

-- 2. Whose attempt a shown question or an answer belongs to. RLS is forced even for the table owner (a
-- migrating user that is not a superuser would see no rows): lifted for the copy, as earlier backfills do.
CREATE UNIQUE INDEX "quiz_attempts_tenant_id_id_user_id_key" ON "quiz_attempts" ("tenant_id", "id", "user_id");
ALTER TABLE "quiz_attempt_questions" ADD COLUMN "user_id" UUID;
ALTER TABLE "quiz_answers" ADD COLUMN "user_id" UUID;
ALTER TABLE "quiz_attempts" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "quiz_attempt_questions" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "quiz_answers" NO FORCE ROW LEVEL SECURITY;
UPDATE "quiz_attempt_questions" q SET "user_id" = a.user_id
FROM "quiz_attempts" a WHERE a.tenant_id = q.tenant_id AND a.id = q.attempt_id;
-- A new column filled in, not a change of the answers: not for the audit trail.
ALTER TABLE "quiz_answers" DISABLE TRIGGER "audit_row_change";
UPDATE "quiz_answers" q SET "user_id" = a.user_id
FROM "quiz_attempts" a WHERE a.tenant_id = q.tenant_id AND a.id = q.attempt_id;
ALTER TABLE "quiz_answers" ENABLE TRIGGER "audit_row_change";
ALTER TABLE "quiz_attempts" FORCE ROW LEVEL SECURITY;
ALTER TABLE "quiz_attempt_questions" FORCE ROW LEVEL SECURITY;
ALTER TABLE "quiz_answers" FORCE ROW LEVEL SECURITY;
ALTER TABLE "quiz_attempt_questions" ALTER COLUMN "user_id" SET NOT NULL;
ALTER TABLE "quiz_answers" ALTER COLUMN "user_id" SET NOT NULL;

-- The row's attempt names its user: written by the database, whatever the insert said.
CREATE FUNCTION "quiz_rows_fill_user"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.user_id := (SELECT a.user_id FROM "quiz_attempts" a WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.attempt_id);
    RETURN NEW;
END $$;
CREATE TRIGGER "quiz_attempt_questions_fill_user" BEFORE INSERT ON "quiz_attempt_questions"
    FOR EACH ROW EXECUTE FUNCTION "quiz_rows_fill_user"();
CREATE TRIGGER "quiz_answers_fill_user" BEFORE INSERT ON "quiz_answers"
    FOR EACH ROW EXECUTE FUNCTION "quiz_rows_fill_user"();

-- Held to the attempt's user by the foreign key to the attempt, which now includes user_id.
ALTER TABLE "quiz_attempt_questions"
    DROP CONSTRAINT "quiz_attempt_questions_tenant_id_attempt_id_fkey",
    ADD CONSTRAINT "quiz_attempt_questions_tenant_id_attempt_id_user_id_fkey" FOREIGN KEY ("tenant_id", "attempt_id", "user_id")
        REFERENCES "quiz_attempts" ("tenant_id", "id", "user_id") ON DELETE CASCADE;
ALTER TABLE "quiz_answers"
    ADD CONSTRAINT "quiz_answers_tenant_id_attempt_id_user_id_fkey" FOREIGN KEY ("tenant_id", "attempt_id", "user_id")
        REFERENCES "quiz_attempts" ("tenant_id", "id", "user_id") ON DELETE CASCADE;

ALTER POLICY "quiz_attempt_questions_select" ON "quiz_attempt_questions"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service') OR "user_id" = "app_user_id"()));
ALTER POLICY "quiz_answers_select" ON "quiz_answers"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service') OR "user_id" = "app_user_id"()));

-- 3. A new row checked against other rows. A BEFORE INSERT trigger (run as the caller, under the caller's RLS,
-- as the policy's subquery was) looks the other rows up and leaves its verdict in a setting: the row's id when
-- they hold, '' when not. It fires right before the row's policies are checked, and for every row, so a
-- setting made by the caller is overwritten; the policy compares the setting with its row's id, together
-- with any other permissive policy exactly as before.
CREATE FUNCTION "rls_row_checked"(p_table TEXT, p_id UUID) RETURNS BOOLEAN LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('app.checked_' || p_table, true) = p_id::text, false) $$;

-- A completion is of its assignment's course and user.
CREATE FUNCTION "training_completions_insert_check"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF row_security_active(TG_RELID) THEN
        PERFORM set_config('app.checked_training_completions', CASE WHEN EXISTS (
            SELECT 1 FROM "training_assignments" a
            WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.assignment_id AND a.course_id = NEW.course_id
              AND a.user_id = NEW.user_id) THEN NEW.id::text ELSE '' END, true);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER "training_completions_insert_check" BEFORE INSERT ON "training_completions"
    FOR EACH ROW EXECUTE FUNCTION "training_completions_insert_check"();
ALTER POLICY "training_completions_insert" ON "training_completions"
    WITH CHECK ("tenant_id" = "app_tenant_id"()
                AND ("app_role"() IN ('admin', 'safety_officer', 'service')
                     OR ("app_role"() = 'worker' AND "user_id" = "app_user_id"()))
                AND "rls_row_checked"('training_completions', "id"));

-- A certificate is of a passed completion of a course that issues certificates, the same user and course.
CREATE FUNCTION "certificates_insert_check"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF row_security_active(TG_RELID) THEN
        PERFORM set_config('app.checked_certificates', CASE WHEN EXISTS (
            SELECT 1 FROM "training_completions" tc
            JOIN "training_courses" c ON c.tenant_id = tc.tenant_id AND c.id = tc.course_id
            WHERE tc.tenant_id = NEW.tenant_id AND tc.id = NEW.completion_id AND tc.user_id = NEW.user_id
              AND tc.course_id = NEW.course_id AND tc.passed AND c.issues_certificate) THEN NEW.id::text ELSE '' END,
            true);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER "certificates_insert_check" BEFORE INSERT ON "certificates"
    FOR EACH ROW EXECUTE FUNCTION "certificates_insert_check"();
ALTER POLICY "certificates_insert" ON "certificates"
    WITH CHECK ("tenant_id" = "app_tenant_id"()
                AND ("app_role"() IN ('admin', 'safety_officer', 'service')
                     OR ("app_role"() = 'worker' AND "user_id" = "app_user_id"()))
                AND "revoked_at" IS NULL AND "rls_row_checked"('certificates', "id"));

-- Evidence recorded by the system stands on a submitted, passed attempt of the assignment and user with the
-- same score (quiz), or on every required module of the course satisfied (content).
CREATE FUNCTION "training_evidence_insert_check"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF row_security_active(TG_RELID) THEN
        PERFORM set_config('app.checked_training_evidence', CASE
            WHEN NEW.kind = 'quiz' AND EXISTS (
                SELECT 1 FROM "quiz_attempts" a
                WHERE a.tenant_id = NEW.tenant_id AND a.assignment_id = NEW.assignment_id AND a.user_id = NEW.user_id
                  AND a.status = 'submitted' AND a.passed AND a.score = NEW.score::double precision)
                THEN NEW.id::text
            WHEN NEW.kind = 'content'
                AND EXISTS (SELECT 1 FROM "training_assignments" a
                            JOIN "course_modules" m ON m.tenant_id = a.tenant_id AND m.course_id = a.course_id
                            WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.assignment_id AND m.required)
                AND NOT EXISTS (SELECT 1 FROM "training_assignments" a
                                JOIN "course_modules" m
                                  ON m.tenant_id = a.tenant_id AND m.course_id = a.course_id AND m.required
                                LEFT JOIN "module_progress" p
                                  ON p.tenant_id = m.tenant_id AND p.module_id = m.id AND p.assignment_id = a.id
                                WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.assignment_id
                                  AND p.satisfied_at IS NULL)
                THEN NEW.id::text
            ELSE '' END, true);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER "training_evidence_insert_check" BEFORE INSERT ON "training_evidence"
    FOR EACH ROW EXECUTE FUNCTION "training_evidence_insert_check"();
ALTER POLICY "training_evidence_insert_quiz" ON "training_evidence"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "kind" = 'quiz' AND "passed" AND "recorded_by" IS NULL
                AND "rls_row_checked"('training_evidence', "id"));
ALTER POLICY "training_evidence_insert_content" ON "training_evidence"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "kind" = 'content' AND "passed" AND "recorded_by" IS NULL
                AND "rls_row_checked"('training_evidence', "id"));

-- Progress is of the assignment's assignee.
CREATE FUNCTION "module_progress_insert_check"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF row_security_active(TG_RELID) THEN
        PERFORM set_config('app.checked_module_progress', CASE WHEN EXISTS (
            SELECT 1 FROM "training_assignments" a
            WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.assignment_id AND a.user_id = NEW.user_id)
            THEN NEW.id::text ELSE '' END, true);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER "module_progress_insert_check" BEFORE INSERT ON "module_progress"
    FOR EACH ROW EXECUTE FUNCTION "module_progress_insert_check"();
ALTER POLICY "module_progress_insert" ON "module_progress"
    WITH CHECK ("tenant_id" = "app_tenant_id"()
                AND ("app_role"() IN ('admin', 'safety_officer') OR "user_id" = "app_user_id"())
                AND "rls_row_checked"('module_progress', "id"));
