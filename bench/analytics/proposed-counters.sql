-- PROPOSAL, not a migration: bench/analytics applies it to its throwaway database only, to measure it.
-- As a migration it would be prisma/migrations/<timestamp>_analytics_counters/migration.sql.
--
-- Tenant-wide analytics from counters kept by the database (SPEC §8: "analytics on
-- 1,000,000 assignments: tens of milliseconds"). Counting a tenant's rows cannot get
-- there: even a bare count(*) over 1M rows is hundreds of ms. So every write keeps
-- per-bucket counters, and the tenant figures are sums over the tenant's buckets
-- (courses × statuses × distinct due dates of active assignments).
-- The effective (overdue-on-read) status stays exact: active assignments are counted per
-- due date, and "past due" is decided at read time against training_today().
-- Per-user figures (a worker's own progress) keep reading the base tables (index on
-- tenant_id, user_id, status).

-- The counters are written only by the trigger functions below, which run as this
-- role (SECURITY DEFINER), so every request's role keeps read-only access.
DO $$
BEGIN
    CREATE ROLE "training_counter" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;
DO $$
BEGIN
    EXECUTE format('GRANT "training_counter" TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN
    NULL;
END $$;

CREATE TABLE "training_assignment_counts" (
    "tenant_id" UUID NOT NULL,
    "course_id" UUID NOT NULL,
    "status"    TEXT NOT NULL,
    -- Only for 'assigned'/'in_progress' (their effective status depends on today); NULL otherwise.
    "due_date"  DATE,
    "n"         BIGINT NOT NULL,
    CONSTRAINT "training_assignment_counts_key" UNIQUE NULLS NOT DISTINCT ("tenant_id", "course_id", "status", "due_date")
);
-- Passed completions per course: count, minutes (for avgCompletionTime), scores (for averageScore).
CREATE TABLE "training_completion_counts" (
    "tenant_id"   UUID NOT NULL,
    "course_id"   UUID NOT NULL,
    "passed"      BIGINT NOT NULL,
    "minutes_sum" BIGINT NOT NULL,
    "minutes_n"   BIGINT NOT NULL,
    "score_sum"   NUMERIC NOT NULL,
    "score_n"     BIGINT NOT NULL,
    PRIMARY KEY ("tenant_id", "course_id")
);

ALTER TABLE "training_assignment_counts" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completion_counts" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA public TO "training_counter";
GRANT SELECT ON "training_assignment_counts", "training_completion_counts" TO "training_app";
GRANT SELECT, INSERT, UPDATE ON "training_assignment_counts", "training_completion_counts" TO "training_counter";
CREATE POLICY "training_assignment_counts_select" ON "training_assignment_counts" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer', 'service'));
CREATE POLICY "training_completion_counts_select" ON "training_completion_counts" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer', 'service'));
CREATE POLICY "training_assignment_counts_counter" ON "training_assignment_counts" FOR ALL TO "training_counter"
    USING (true) WITH CHECK (true);
CREATE POLICY "training_completion_counts_counter" ON "training_completion_counts" FOR ALL TO "training_counter"
    USING (true) WITH CHECK (true);

-- One statement-level trigger per event (transition tables), so a bulk auto-assignment
-- updates each bucket once. Buckets are upserted in key order, so concurrent writers
-- lock them in the same order (no deadlock between two multi-bucket statements).
CREATE FUNCTION "training_assignment_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "training_assignment_counts" AS c ("tenant_id", "course_id", "status", "due_date", "n")
        SELECT tenant_id, course_id, status, CASE WHEN status IN ('assigned', 'in_progress') THEN due_date END, count(*)
        FROM "new_rows" GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT ON CONSTRAINT "training_assignment_counts_key" DO UPDATE SET "n" = c."n" + EXCLUDED."n";
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO "training_assignment_counts" AS c ("tenant_id", "course_id", "status", "due_date", "n")
        SELECT tenant_id, course_id, status, CASE WHEN status IN ('assigned', 'in_progress') THEN due_date END, -count(*)
        FROM "old_rows" GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT ON CONSTRAINT "training_assignment_counts_key" DO UPDATE SET "n" = c."n" + EXCLUDED."n";
    ELSE
        INSERT INTO "training_assignment_counts" AS c ("tenant_id", "course_id", "status", "due_date", "n")
        SELECT tenant_id, course_id, status, due_date, sum(delta)
        FROM (SELECT tenant_id, course_id, status,
                     CASE WHEN status IN ('assigned', 'in_progress') THEN due_date END AS due_date, 1 AS delta
              FROM "new_rows"
              UNION ALL
              SELECT tenant_id, course_id, status,
                     CASE WHEN status IN ('assigned', 'in_progress') THEN due_date END, -1
              FROM "old_rows") d
        GROUP BY 1, 2, 3, 4 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT ON CONSTRAINT "training_assignment_counts_key" DO UPDATE SET "n" = c."n" + EXCLUDED."n";
    END IF;
    RETURN NULL;
END $$;

-- Completions: passed ones added (+1) and removed (-1) per (tenant, course).
CREATE FUNCTION "training_completion_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "training_completion_counts" AS c
            ("tenant_id", "course_id", "passed", "minutes_sum", "minutes_n", "score_sum", "score_n")
        SELECT tenant_id, course_id, sum(sign), sum(sign * coalesce(completion_time_minutes, 0)),
               sum(sign * (completion_time_minutes IS NOT NULL)::int), sum(sign * coalesce(score, 0)),
               sum(sign * (score IS NOT NULL)::int)
        FROM (SELECT tenant_id, course_id, completion_time_minutes, score, 1 AS sign FROM "new_rows" WHERE passed) d
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT ("tenant_id", "course_id") DO UPDATE SET
            "passed" = c."passed" + EXCLUDED."passed", "minutes_sum" = c."minutes_sum" + EXCLUDED."minutes_sum",
            "minutes_n" = c."minutes_n" + EXCLUDED."minutes_n", "score_sum" = c."score_sum" + EXCLUDED."score_sum",
            "score_n" = c."score_n" + EXCLUDED."score_n";
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO "training_completion_counts" AS c
            ("tenant_id", "course_id", "passed", "minutes_sum", "minutes_n", "score_sum", "score_n")
        SELECT tenant_id, course_id, sum(sign), sum(sign * coalesce(completion_time_minutes, 0)),
               sum(sign * (completion_time_minutes IS NOT NULL)::int), sum(sign * coalesce(score, 0)),
               sum(sign * (score IS NOT NULL)::int)
        FROM (SELECT tenant_id, course_id, completion_time_minutes, score, -1 AS sign FROM "old_rows" WHERE passed) d
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT ("tenant_id", "course_id") DO UPDATE SET
            "passed" = c."passed" + EXCLUDED."passed", "minutes_sum" = c."minutes_sum" + EXCLUDED."minutes_sum",
            "minutes_n" = c."minutes_n" + EXCLUDED."minutes_n", "score_sum" = c."score_sum" + EXCLUDED."score_sum",
            "score_n" = c."score_n" + EXCLUDED."score_n";
    ELSE
        INSERT INTO "training_completion_counts" AS c
            ("tenant_id", "course_id", "passed", "minutes_sum", "minutes_n", "score_sum", "score_n")
        SELECT tenant_id, course_id, sum(sign), sum(sign * coalesce(completion_time_minutes, 0)),
               sum(sign * (completion_time_minutes IS NOT NULL)::int), sum(sign * coalesce(score, 0)),
               sum(sign * (score IS NOT NULL)::int)
        FROM (SELECT tenant_id, course_id, completion_time_minutes, score, 1 AS sign FROM "new_rows" WHERE passed UNION ALL SELECT tenant_id, course_id, completion_time_minutes, score, -1 AS sign FROM "old_rows" WHERE passed) d
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT ("tenant_id", "course_id") DO UPDATE SET
            "passed" = c."passed" + EXCLUDED."passed", "minutes_sum" = c."minutes_sum" + EXCLUDED."minutes_sum",
            "minutes_n" = c."minutes_n" + EXCLUDED."minutes_n", "score_sum" = c."score_sum" + EXCLUDED."score_sum",
            "score_n" = c."score_n" + EXCLUDED."score_n";
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER "training_assignment_counts_insert" AFTER INSERT ON "training_assignments"
    REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "training_assignment_counts_apply"();
CREATE TRIGGER "training_assignment_counts_update" AFTER UPDATE ON "training_assignments"
    REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "training_assignment_counts_apply"();
CREATE TRIGGER "training_assignment_counts_delete" AFTER DELETE ON "training_assignments"
    REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "training_assignment_counts_apply"();
CREATE TRIGGER "training_completion_counts_insert" AFTER INSERT ON "training_completions"
    REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "training_completion_counts_apply"();
CREATE TRIGGER "training_completion_counts_update" AFTER UPDATE ON "training_completions"
    REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "training_completion_counts_apply"();
CREATE TRIGGER "training_completion_counts_delete" AFTER DELETE ON "training_completions"
    REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "training_completion_counts_apply"();

-- The trigger functions run as "training_counter" (it may write the counters and nothing else).
GRANT CREATE ON SCHEMA public TO "training_counter";
ALTER FUNCTION "training_assignment_counts_apply"() OWNER TO "training_counter";
ALTER FUNCTION "training_completion_counts_apply"() OWNER TO "training_counter";
REVOKE CREATE ON SCHEMA public FROM "training_counter";

-- Backfill from the existing rows (RLS is forced even for the owner: lifted for this transaction).
ALTER TABLE "training_assignments" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completions" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_assignment_counts" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completion_counts" NO FORCE ROW LEVEL SECURITY;
INSERT INTO "training_assignment_counts" ("tenant_id", "course_id", "status", "due_date", "n")
SELECT tenant_id, course_id, status, CASE WHEN status IN ('assigned', 'in_progress') THEN due_date END, count(*)
FROM "training_assignments" GROUP BY 1, 2, 3, 4;
INSERT INTO "training_completion_counts" ("tenant_id", "course_id", "passed", "minutes_sum", "minutes_n", "score_sum", "score_n")
SELECT tenant_id, course_id, count(*), coalesce(sum(completion_time_minutes), 0), count(completion_time_minutes),
       coalesce(sum(score), 0), count(score)
FROM "training_completions" WHERE passed GROUP BY 1, 2;
ALTER TABLE "training_assignments" FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completions" FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_assignment_counts" FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completion_counts" FORCE ROW LEVEL SECURITY;

-- Readers. The seven figures: tenant-wide from the counters, per user from the base tables.
CREATE OR REPLACE FUNCTION "get_training_analytics"(p_tenant_id UUID, p_user_id UUID DEFAULT NULL)
RETURNS TABLE (
    total_courses BIGINT, total_assignments BIGINT, completed_count BIGINT,
    in_progress_count BIGINT, overdue_count BIGINT, completion_rate NUMERIC,
    avg_completion_time NUMERIC
) LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_user_id IS NOT NULL THEN
        RETURN QUERY
        WITH a AS (
            SELECT count(*) FILTER (WHERE s <> 'cancelled') AS total,
                   count(*) FILTER (WHERE s = 'completed') AS completed,
                   count(*) FILTER (WHERE s = 'in_progress') AS in_progress,
                   count(*) FILTER (WHERE s = 'overdue') AS overdue
            FROM (SELECT "training_effective_status"(t.status, t.due_date) AS s
                  FROM "training_assignments" t
                  WHERE t.tenant_id = p_tenant_id AND t.user_id = p_user_id) x
        )
        SELECT (SELECT count(*) FROM "training_courses" c WHERE c.tenant_id = p_tenant_id),
               a.total, a.completed, a.in_progress, a.overdue,
               CASE WHEN a.total = 0 THEN 0 ELSE round(a.completed * 100.0 / a.total, 2) END,
               COALESCE((SELECT round(avg(tc.completion_time_minutes), 2) FROM "training_completions" tc
                         WHERE tc.tenant_id = p_tenant_id AND tc.passed AND tc.user_id = p_user_id), 0)
        FROM a;
        RETURN;
    END IF;
    RETURN QUERY
    WITH a AS (
        SELECT coalesce(sum(n) FILTER (WHERE s <> 'cancelled'), 0)::bigint AS total,
               coalesce(sum(n) FILTER (WHERE s = 'completed'), 0)::bigint AS completed,
               coalesce(sum(n) FILTER (WHERE s = 'in_progress'), 0)::bigint AS in_progress,
               coalesce(sum(n) FILTER (WHERE s = 'overdue'), 0)::bigint AS overdue
        FROM (SELECT "training_effective_status"(k.status, k.due_date) AS s, k.n
              FROM "training_assignment_counts" k WHERE k.tenant_id = p_tenant_id) x
    ), m AS (
        SELECT sum(minutes_sum) AS minutes, sum(minutes_n) AS n
        FROM "training_completion_counts" WHERE tenant_id = p_tenant_id
    )
    SELECT (SELECT count(*) FROM "training_courses" c WHERE c.tenant_id = p_tenant_id),
           a.total, a.completed, a.in_progress, a.overdue,
           CASE WHEN a.total = 0 THEN 0 ELSE round(a.completed * 100.0 / a.total, 2) END,
           CASE WHEN coalesce(m.n, 0) = 0 THEN 0 ELSE round(m.minutes::numeric / m.n, 2) END
    FROM a, m;
END $$;
