-- Each user's holdings, for `qualifications` and `qualificationChanged` (src/risk/qualifications-sql.ts): one row per
-- (tenant, user) with, per course the user holds through a passed completion whose certificate is not revoked, the
-- expiry of the longest-lasting such completion ('infinity': never expires). Reading a zone's 5,000 workers is then
-- 5,000 rows instead of one index entry per completion (about 17 each). Expired completions stay in the row with
-- their date: whether a course is held is decided at read time against training_today(), so the row never goes
-- stale at the change of day. The courses are in expiry order (then course id), so the courses held today are the
-- arrays' tail after the expired ones (width_bucket finds where it starts).
--
-- Kept by row triggers on training_completions and certificates that recount the user's row from their rows (about
-- 17 index entries), whatever changed; a user holding nothing has no row.

-- Written only by the trigger functions below: SECURITY DEFINER, owned by "training_qualifier", a role that cannot
-- log in, may write the holdings and read only the columns of completions and certificates they are made of.
DO $$
BEGIN
    CREATE ROLE "training_qualifier" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- roles are cluster-wide: another database (or a concurrent migration) made it
END $$;

DO $$
BEGIN
    EXECUTE format('GRANT "training_qualifier" TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN
    NULL;
END $$;

CREATE TABLE "training_holdings" (
    "tenant_id"  UUID NOT NULL,
    "user_id"    UUID NOT NULL,
    "course_ids" UUID[] NOT NULL,
    "expires_on" DATE[] NOT NULL,
    CONSTRAINT "training_holdings_pkey" PRIMARY KEY ("tenant_id", "user_id")
);

ALTER TABLE "training_holdings" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT ON "training_holdings" TO "training_app";
-- Who may read a user's completions may read their holdings.
CREATE POLICY "training_holdings_select" ON "training_holdings" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service') OR "user_id" = "app_user_id"()));

GRANT USAGE ON SCHEMA public TO "training_qualifier";
GRANT SELECT, INSERT, UPDATE, DELETE ON "training_holdings" TO "training_qualifier";
GRANT SELECT ("tenant_id", "id", "user_id", "course_id", "passed", "expires_at") ON "training_completions" TO "training_qualifier";
GRANT SELECT ("tenant_id", "completion_id", "revoked_at") ON "certificates" TO "training_qualifier";
CREATE POLICY "training_holdings_qualifier" ON "training_holdings" FOR ALL TO "training_qualifier"
    USING (true) WITH CHECK (true);
CREATE POLICY "training_completions_qualifier" ON "training_completions" FOR SELECT TO "training_qualifier"
    USING (true);
CREATE POLICY "certificates_qualifier" ON "certificates" FOR SELECT TO "training_qualifier"
    USING (true);

-- Recounts one user's row from their rows. Every statement is on one table and names the tenant (on a distributed
-- database each goes to the tenant's shard, also with a generic plan). The row is locked first (made if missing: ON
-- CONFLICT DO UPDATE locks the conflicting row even when its WHERE updates nothing), so the reads that follow, each
-- with a snapshot of its own, see whatever a concurrent writer of the same user committed before it let go: two
-- writers of one user cannot each leave a row that misses the other's write.
CREATE FUNCTION "training_holdings_refresh"(p_tenant UUID, p_user UUID) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_ids UUID[];
    v_courses UUID[];
    v_expiries DATE[];
    v_revoked UUID[];
BEGIN
    INSERT INTO "training_holdings" AS h ("tenant_id", "user_id", "course_ids", "expires_on")
    VALUES (p_tenant, p_user, '{}', '{}')
    ON CONFLICT ("tenant_id", "user_id") DO UPDATE SET "course_ids" = h."course_ids" WHERE false;

    SELECT array_agg(tc.id), array_agg(tc.course_id), array_agg(coalesce(tc.expires_at, 'infinity'))
    INTO v_ids, v_courses, v_expiries
    FROM "training_completions" tc
    WHERE tc.tenant_id = p_tenant AND tc.user_id = p_user AND tc.passed;
    IF v_ids IS NOT NULL THEN
        SELECT array_agg(c.completion_id) INTO v_revoked
        FROM "certificates" c
        WHERE c.tenant_id = p_tenant AND c.completion_id = ANY (v_ids) AND c.revoked_at IS NOT NULL;
        SELECT array_agg(k.course_id ORDER BY k.expires_on, k.course_id), array_agg(k.expires_on ORDER BY k.expires_on, k.course_id)
        INTO v_courses, v_expiries
        FROM (SELECT u.course_id, max(u.expires_on) AS expires_on
              FROM unnest(v_ids, v_courses, v_expiries) AS u(id, course_id, expires_on)
              WHERE u.id <> ALL (coalesce(v_revoked, '{}'))
              GROUP BY u.course_id) k;
    END IF;

    IF v_courses IS NULL THEN
        DELETE FROM "training_holdings" h WHERE h.tenant_id = p_tenant AND h.user_id = p_user;
    ELSE
        UPDATE "training_holdings" h SET "course_ids" = v_courses, "expires_on" = v_expiries
        WHERE h.tenant_id = p_tenant AND h.user_id = p_user;
    END IF;
END $$;

CREATE FUNCTION "training_holdings_completion"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM "training_holdings_refresh"(OLD.tenant_id, OLD.user_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (NEW.tenant_id, NEW.user_id) IS DISTINCT FROM (OLD.tenant_id, OLD.user_id)) THEN
        PERFORM "training_holdings_refresh"(NEW.tenant_id, NEW.user_id);
    END IF;
    RETURN NULL;
END $$;

-- A certificate counts only once revoked; its holder is its completion's user (a certificate's own user_id is
-- checked against it only under RLS). A completion deleted with it is recounted by its own trigger.
CREATE FUNCTION "training_holdings_certificate"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_user UUID;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT tc.user_id INTO v_user FROM "training_completions" tc
        WHERE tc.tenant_id = OLD.tenant_id AND tc.id = OLD.completion_id;
        IF v_user IS NOT NULL THEN
            PERFORM "training_holdings_refresh"(OLD.tenant_id, v_user);
        END IF;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (NEW.tenant_id, NEW.completion_id) IS DISTINCT FROM (OLD.tenant_id, OLD.completion_id)) THEN
        v_user := NULL;
        SELECT tc.user_id INTO v_user FROM "training_completions" tc
        WHERE tc.tenant_id = NEW.tenant_id AND tc.id = NEW.completion_id;
        IF v_user IS NOT NULL THEN
            PERFORM "training_holdings_refresh"(NEW.tenant_id, v_user);
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- Every user's row recounted from the rows: the backfill below, and after a TRUNCATE (the owner's only, of every
-- tenant at once).
CREATE FUNCTION "training_holdings_recount_all"() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM "training_holdings";
    INSERT INTO "training_holdings" ("tenant_id", "user_id", "course_ids", "expires_on")
    SELECT k.tenant_id, k.user_id, array_agg(k.course_id ORDER BY k.expires_on, k.course_id),
           array_agg(k.expires_on ORDER BY k.expires_on, k.course_id)
    FROM (SELECT tc.tenant_id, tc.user_id, tc.course_id, max(coalesce(tc.expires_at, 'infinity')) AS expires_on
          FROM "training_completions" tc
          WHERE tc.passed
            AND NOT EXISTS (SELECT 1 FROM "certificates" c
                            WHERE c.tenant_id = tc.tenant_id AND c.completion_id = tc.id AND c.revoked_at IS NOT NULL)
          GROUP BY 1, 2, 3) k
    GROUP BY 1, 2;
END $$;

CREATE FUNCTION "training_holdings_truncated"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM "training_holdings_recount_all"();
    RETURN NULL;
END $$;

CREATE TRIGGER "training_holdings_insert" AFTER INSERT ON "training_completions"
    FOR EACH ROW WHEN (NEW.passed) EXECUTE FUNCTION "training_holdings_completion"();
CREATE TRIGGER "training_holdings_delete" AFTER DELETE ON "training_completions"
    FOR EACH ROW WHEN (OLD.passed) EXECUTE FUNCTION "training_holdings_completion"();
CREATE TRIGGER "training_holdings_update" AFTER UPDATE ON "training_completions"
    FOR EACH ROW WHEN ((OLD.passed OR NEW.passed)
        AND (OLD.tenant_id, OLD.id, OLD.user_id, OLD.course_id, OLD.passed, OLD.expires_at)
            IS DISTINCT FROM (NEW.tenant_id, NEW.id, NEW.user_id, NEW.course_id, NEW.passed, NEW.expires_at))
    EXECUTE FUNCTION "training_holdings_completion"();
CREATE TRIGGER "training_holdings_truncate" AFTER TRUNCATE ON "training_completions"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_holdings_truncated"();

CREATE TRIGGER "training_holdings_insert" AFTER INSERT ON "certificates"
    FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION "training_holdings_certificate"();
CREATE TRIGGER "training_holdings_delete" AFTER DELETE ON "certificates"
    FOR EACH ROW WHEN (OLD.revoked_at IS NOT NULL) EXECUTE FUNCTION "training_holdings_certificate"();
CREATE TRIGGER "training_holdings_update" AFTER UPDATE ON "certificates"
    FOR EACH ROW WHEN ((OLD.revoked_at IS NULL) <> (NEW.revoked_at IS NULL)
        OR (OLD.revoked_at IS NOT NULL AND (OLD.tenant_id, OLD.completion_id) IS DISTINCT FROM (NEW.tenant_id, NEW.completion_id)))
    EXECUTE FUNCTION "training_holdings_certificate"();
CREATE TRIGGER "training_holdings_truncate" AFTER TRUNCATE ON "certificates"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_holdings_truncated"();

-- Hand the functions to "training_qualifier"; a new owner needs CREATE on the schema at that moment only.
GRANT CREATE ON SCHEMA public TO "training_qualifier";
ALTER FUNCTION "training_holdings_refresh"(UUID, UUID) OWNER TO "training_qualifier";
ALTER FUNCTION "training_holdings_completion"() OWNER TO "training_qualifier";
ALTER FUNCTION "training_holdings_certificate"() OWNER TO "training_qualifier";
ALTER FUNCTION "training_holdings_recount_all"() OWNER TO "training_qualifier";
ALTER FUNCTION "training_holdings_truncated"() OWNER TO "training_qualifier";
REVOKE CREATE ON SCHEMA public FROM "training_qualifier";
-- Only the triggers call them.
REVOKE ALL ON FUNCTION "training_holdings_refresh"(UUID, UUID), "training_holdings_recount_all"() FROM PUBLIC;

-- The backfill. Writers of completions and certificates wait for this transaction, so no write is missed or
-- counted twice.
LOCK TABLE "training_completions", "certificates" IN SHARE MODE;
SELECT "training_holdings_recount_all"();
