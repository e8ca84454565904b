-- Tenant-wide analytics from counters kept by the database (SPEC §4 "Analytics", §8
-- "Analytics on 1,000,000 assignments: tens of milliseconds"). Recounting a tenant's rows
-- cannot get there (a bare count(*) of 1M rows is hundreds of ms), so every write to
-- training_assignments / training_completions adjusts small per-bucket counters in the same
-- transaction, and the tenant's figures are sums over its buckets:
--   * training_assignment_counts: (tenant, course, stored status, due date) → n. The due date
--     is kept only where the effective status depends on it (stored 'assigned'/'in_progress'
--     with a due date); every other bucket has due_date = 'infinity' (never past due). So
--     "overdue" stays exact: training_effective_status(status, due_date) is applied to the
--     buckets at read time, against training_today(), exactly as it is to the rows.
--   * training_completion_counts: (tenant, course) → passed completions, the sum and count of
--     their minutes (avgCompletionTime) and of their scores (averageScore).
-- Per-user figures (a worker's own progress) keep reading the base tables (index on
-- tenant_id, user_id, status): one user's rows are few.

-- The counters are written only by the trigger functions below. They are SECURITY DEFINER
-- functions owned by "training_counter", a role that cannot log in and may write the counters
-- and nothing else; every request's role ("training_app") may only read them.
DO $$
BEGIN
    CREATE ROLE "training_counter" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- roles are cluster-wide: another database (or a concurrent migration) made it
END $$;

-- The migrating user must be able to SET ROLE to it to hand it the functions.
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
    -- The due date of stored 'assigned'/'in_progress' assignments (they turn overdue after
    -- it); 'infinity' for every other status and for assignments without a due date.
    "due_date"  DATE NOT NULL,
    "n"         BIGINT NOT NULL,
    CONSTRAINT "training_assignment_counts_pkey" PRIMARY KEY ("tenant_id", "course_id", "status", "due_date")
);

CREATE TABLE "training_completion_counts" (
    "tenant_id"     UUID NOT NULL,
    "course_id"     UUID NOT NULL,
    "passed_count"  BIGINT NOT NULL,
    "minutes_sum"   BIGINT NOT NULL,
    "minutes_count" BIGINT NOT NULL,
    "score_sum"     DECIMAL NOT NULL,
    "score_count"   BIGINT NOT NULL,
    CONSTRAINT "training_completion_counts_pkey" PRIMARY KEY ("tenant_id", "course_id")
);

-- The bucket a row of training_assignments counts in (the rule above, in one place).
CREATE FUNCTION "training_count_due_date"(p_status TEXT, p_due_date DATE) RETURNS DATE
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_status IN ('assigned', 'in_progress') AND p_due_date IS NOT NULL
                THEN p_due_date ELSE 'infinity'::date END
$$;

-- A passed attempt completes its assignment and a completed assignment cannot be completed
-- again (src/assignments/lifecycle.ts), so an assignment has at most one passed completion;
-- made a database invariant here. It is what lets averageScore be read from per-course sums:
-- the mean of the passed completions' scores equals the mean, over assignments, of their
-- latest passed completion's score (the per-user query).
CREATE UNIQUE INDEX "training_completions_one_passed_per_assignment"
    ON "training_completions" ("tenant_id", "assignment_id") WHERE "passed";

-- Statement-level triggers with transition tables: one bulk statement (an auto-assignment
-- run, the overdue sweep, a cascade) is one grouped upsert, not one per row. Buckets are
-- upserted in key order, so two concurrent multi-bucket statements lock shared buckets in
-- the same order (no deadlock between them). A bucket that drops to zero is deleted, so
-- past due dates do not pile up as empty buckets (a concurrent upsert of the same bucket
-- waits for the delete to commit and then inserts afresh: ON CONFLICT retries).
CREATE FUNCTION "training_assignment_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_tenant UUID[];
    v_course UUID[];
    v_status TEXT[];
    v_due    DATE[];
    v_n      BIGINT[];
BEGIN
    -- The net change per bucket. Each branch names only the transition tables its trigger
    -- has (plpgsql plans a statement when it first runs it).
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(g.tenant_id), array_agg(g.course_id), array_agg(g.status), array_agg(g.due_date), array_agg(g.n)
        INTO v_tenant, v_course, v_status, v_due, v_n
        FROM (SELECT r.tenant_id, r.course_id, r.status, "training_count_due_date"(r.status, r.due_date) AS due_date,
                     count(*) AS n
              FROM "new_rows" r GROUP BY 1, 2, 3, 4) g;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(g.tenant_id), array_agg(g.course_id), array_agg(g.status), array_agg(g.due_date), array_agg(g.n)
        INTO v_tenant, v_course, v_status, v_due, v_n
        FROM (SELECT r.tenant_id, r.course_id, r.status, "training_count_due_date"(r.status, r.due_date) AS due_date,
                     -count(*) AS n
              FROM "old_rows" r GROUP BY 1, 2, 3, 4) g;
    ELSE
        -- Most updates (start, a field edit) move a row between two buckets or none.
        SELECT array_agg(g.tenant_id), array_agg(g.course_id), array_agg(g.status), array_agg(g.due_date), array_agg(g.n)
        INTO v_tenant, v_course, v_status, v_due, v_n
        FROM (SELECT d.tenant_id, d.course_id, d.status, d.due_date, sum(d.n)::bigint AS n
              FROM (SELECT r.tenant_id, r.course_id, r.status, "training_count_due_date"(r.status, r.due_date) AS due_date,
                           1 AS n
                    FROM "new_rows" r
                    UNION ALL
                    SELECT r.tenant_id, r.course_id, r.status, "training_count_due_date"(r.status, r.due_date), -1
                    FROM "old_rows" r) d
              GROUP BY 1, 2, 3, 4
              HAVING sum(d.n) <> 0) g;
    END IF;
    IF v_tenant IS NULL THEN
        RETURN NULL;
    END IF;

    WITH changed AS (
        INSERT INTO "training_assignment_counts" AS k ("tenant_id", "course_id", "status", "due_date", "n")
        SELECT * FROM unnest(v_tenant, v_course, v_status, v_due, v_n)
        ORDER BY 1, 2, 3, 4
        ON CONFLICT ("tenant_id", "course_id", "status", "due_date") DO UPDATE SET "n" = k."n" + EXCLUDED."n"
        RETURNING k.tenant_id, k.course_id, k.status, k.due_date, k.n
    )
    SELECT array_agg(tenant_id), array_agg(course_id), array_agg(status), array_agg(due_date)
    INTO v_tenant, v_course, v_status, v_due
    FROM changed WHERE n = 0;

    IF v_tenant IS NOT NULL THEN
        DELETE FROM "training_assignment_counts" k
        USING unnest(v_tenant, v_course, v_status, v_due) AS z(tenant_id, course_id, status, due_date)
        WHERE k.tenant_id = z.tenant_id AND k.course_id = z.course_id AND k.status = z.status
          AND k.due_date = z.due_date AND k.n = 0;
    END IF;
    RETURN NULL;
END $$;

-- Passed completions only: +1 for one added, -1 for one removed, per (tenant, course).
CREATE FUNCTION "training_completion_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_tenant  UUID[];
    v_course  UUID[];
    v_passed  BIGINT[];
    v_minutes BIGINT[];
    v_minutes_count BIGINT[];
    v_score   NUMERIC[];
    v_score_count BIGINT[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(g.tenant_id), array_agg(g.course_id), array_agg(g.passed), array_agg(g.minutes),
               array_agg(g.minutes_count), array_agg(g.score), array_agg(g.score_count)
        INTO v_tenant, v_course, v_passed, v_minutes, v_minutes_count, v_score, v_score_count
        FROM (SELECT r.tenant_id, r.course_id, count(*) AS passed, coalesce(sum(r.completion_time_minutes), 0) AS minutes,
                     count(r.completion_time_minutes) AS minutes_count, coalesce(sum(r.score), 0) AS score,
                     count(r.score) AS score_count
              FROM "new_rows" r WHERE r.passed GROUP BY 1, 2) g;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(g.tenant_id), array_agg(g.course_id), array_agg(g.passed), array_agg(g.minutes),
               array_agg(g.minutes_count), array_agg(g.score), array_agg(g.score_count)
        INTO v_tenant, v_course, v_passed, v_minutes, v_minutes_count, v_score, v_score_count
        FROM (SELECT r.tenant_id, r.course_id, -count(*) AS passed, -coalesce(sum(r.completion_time_minutes), 0) AS minutes,
                     -count(r.completion_time_minutes) AS minutes_count, -coalesce(sum(r.score), 0) AS score,
                     -count(r.score) AS score_count
              FROM "old_rows" r WHERE r.passed GROUP BY 1, 2) g;
    ELSE
        SELECT array_agg(g.tenant_id), array_agg(g.course_id), array_agg(g.passed), array_agg(g.minutes),
               array_agg(g.minutes_count), array_agg(g.score), array_agg(g.score_count)
        INTO v_tenant, v_course, v_passed, v_minutes, v_minutes_count, v_score, v_score_count
        FROM (SELECT d.tenant_id, d.course_id, sum(d.s)::bigint AS passed,
                     coalesce(sum(d.s * d.completion_time_minutes), 0)::bigint AS minutes,
                     sum(d.s * (d.completion_time_minutes IS NOT NULL)::int)::bigint AS minutes_count,
                     coalesce(sum(d.s * d.score), 0) AS score,
                     sum(d.s * (d.score IS NOT NULL)::int)::bigint AS score_count
              FROM (SELECT r.tenant_id, r.course_id, r.completion_time_minutes, r.score, 1 AS s
                    FROM "new_rows" r WHERE r.passed
                    UNION ALL
                    SELECT r.tenant_id, r.course_id, r.completion_time_minutes, r.score, -1
                    FROM "old_rows" r WHERE r.passed) d
              GROUP BY 1, 2
              -- An update that changes no passed completion's figures changes no bucket.
              HAVING sum(d.s) <> 0 OR coalesce(sum(d.s * d.completion_time_minutes), 0) <> 0
                  OR sum(d.s * (d.completion_time_minutes IS NOT NULL)::int) <> 0
                  OR coalesce(sum(d.s * d.score), 0) <> 0 OR sum(d.s * (d.score IS NOT NULL)::int) <> 0) g;
    END IF;
    IF v_tenant IS NULL THEN
        RETURN NULL;
    END IF;

    WITH changed AS (
        INSERT INTO "training_completion_counts" AS k
            ("tenant_id", "course_id", "passed_count", "minutes_sum", "minutes_count", "score_sum", "score_count")
        SELECT * FROM unnest(v_tenant, v_course, v_passed, v_minutes, v_minutes_count, v_score, v_score_count)
        ORDER BY 1, 2
        ON CONFLICT ("tenant_id", "course_id") DO UPDATE SET
            "passed_count"  = k."passed_count"  + EXCLUDED."passed_count",
            "minutes_sum"   = k."minutes_sum"   + EXCLUDED."minutes_sum",
            "minutes_count" = k."minutes_count" + EXCLUDED."minutes_count",
            "score_sum"     = k."score_sum"     + EXCLUDED."score_sum",
            "score_count"   = k."score_count"   + EXCLUDED."score_count"
        RETURNING k.tenant_id, k.course_id, k.passed_count
    )
    SELECT array_agg(tenant_id), array_agg(course_id) INTO v_tenant, v_course
    FROM changed WHERE passed_count = 0;

    IF v_tenant IS NOT NULL THEN
        DELETE FROM "training_completion_counts" k
        USING unnest(v_tenant, v_course) AS z(tenant_id, course_id)
        WHERE k.tenant_id = z.tenant_id AND k.course_id = z.course_id AND k.passed_count = 0;
    END IF;
    RETURN NULL;
END $$;

-- TRUNCATE (owner only) empties the counters of the table it empties.
CREATE FUNCTION "training_counts_truncate"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_TABLE_NAME = 'training_assignments' THEN
        DELETE FROM "training_assignment_counts";
    ELSE
        DELETE FROM "training_completion_counts";
    END IF;
    RETURN NULL;
END $$;

-- A transition-table trigger serves one event, hence one trigger per event. They run after
-- the row triggers (updated_at, the guard), so they count what was stored.
CREATE TRIGGER "training_assignment_counts_insert" AFTER INSERT ON "training_assignments"
    REFERENCING NEW TABLE AS "new_rows"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_assignment_counts_apply"();
CREATE TRIGGER "training_assignment_counts_update" AFTER UPDATE ON "training_assignments"
    REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_assignment_counts_apply"();
CREATE TRIGGER "training_assignment_counts_delete" AFTER DELETE ON "training_assignments"
    REFERENCING OLD TABLE AS "old_rows"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_assignment_counts_apply"();
CREATE TRIGGER "training_assignment_counts_truncate" AFTER TRUNCATE ON "training_assignments"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_counts_truncate"();
CREATE TRIGGER "training_completion_counts_insert" AFTER INSERT ON "training_completions"
    REFERENCING NEW TABLE AS "new_rows"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_completion_counts_apply"();
CREATE TRIGGER "training_completion_counts_update" AFTER UPDATE ON "training_completions"
    REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_completion_counts_apply"();
CREATE TRIGGER "training_completion_counts_delete" AFTER DELETE ON "training_completions"
    REFERENCING OLD TABLE AS "old_rows"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_completion_counts_apply"();
CREATE TRIGGER "training_completion_counts_truncate" AFTER TRUNCATE ON "training_completions"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_counts_truncate"();

-- Backfill. The triggers above already hold a lock that makes writers wait for this
-- transaction, so no row is missed or counted twice. RLS is forced even for the table owner
-- (a migrating user that is not a superuser would see no rows): lifted for this transaction.
ALTER TABLE "training_assignments" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completions" NO FORCE ROW LEVEL SECURITY;
INSERT INTO "training_assignment_counts" ("tenant_id", "course_id", "status", "due_date", "n")
SELECT tenant_id, course_id, status, "training_count_due_date"(status, due_date), count(*)
FROM "training_assignments"
GROUP BY 1, 2, 3, 4;
INSERT INTO "training_completion_counts"
    ("tenant_id", "course_id", "passed_count", "minutes_sum", "minutes_count", "score_sum", "score_count")
SELECT tenant_id, course_id, count(*), coalesce(sum(completion_time_minutes), 0), count(completion_time_minutes),
       coalesce(sum(score), 0), count(score)
FROM "training_completions"
WHERE passed
GROUP BY 1, 2;
ALTER TABLE "training_assignments" FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completions" FORCE ROW LEVEL SECURITY;

-- Like every table: RLS forced. The tenant's admins, safety officers and integrations read its
-- counters (they may read all its assignments anyway); a worker reads none (their own
-- figures come from their own rows). "training_app" has no write privilege at all.
ALTER TABLE "training_assignment_counts" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completion_counts" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT ON "training_assignment_counts", "training_completion_counts" TO "training_app";
CREATE POLICY "training_assignment_counts_select" ON "training_assignment_counts" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer', 'service'));
CREATE POLICY "training_completion_counts_select" ON "training_completion_counts" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer', 'service'));

GRANT USAGE ON SCHEMA public TO "training_counter";
GRANT SELECT, INSERT, UPDATE, DELETE ON "training_assignment_counts", "training_completion_counts" TO "training_counter";
CREATE POLICY "training_assignment_counts_counter" ON "training_assignment_counts" FOR ALL TO "training_counter"
    USING (true) WITH CHECK (true);
CREATE POLICY "training_completion_counts_counter" ON "training_completion_counts" FOR ALL TO "training_counter"
    USING (true) WITH CHECK (true);

-- Hand the trigger functions to "training_counter". A new owner needs CREATE on the schema at
-- the moment it receives a function; it keeps none afterwards.
GRANT CREATE ON SCHEMA public TO "training_counter";
ALTER FUNCTION "training_assignment_counts_apply"() OWNER TO "training_counter";
ALTER FUNCTION "training_completion_counts_apply"() OWNER TO "training_counter";
ALTER FUNCTION "training_counts_truncate"() OWNER TO "training_counter";
REVOKE CREATE ON SCHEMA public FROM "training_counter";

-- The seven figures: for the tenant from the counters, for one user from the base tables.
-- Still SECURITY INVOKER: the counters' policies decide who gets tenant-wide figures. A
-- worker may read no counters, and under RLS sees only their own rows, so a worker asking
-- for the tenant gets their own figures, as before.
CREATE OR REPLACE FUNCTION "get_training_analytics"(p_tenant_id UUID, p_user_id UUID DEFAULT NULL)
RETURNS TABLE (
    total_courses BIGINT, total_assignments BIGINT, completed_count BIGINT,
    in_progress_count BIGINT, overdue_count BIGINT, completion_rate NUMERIC,
    avg_completion_time NUMERIC
) LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_user_id IS NULL AND "app_role"() = 'worker' THEN
        p_user_id := "app_user_id"();
    END IF;
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
        SELECT coalesce(sum(x.n) FILTER (WHERE x.s <> 'cancelled'), 0)::bigint AS total,
               coalesce(sum(x.n) FILTER (WHERE x.s = 'completed'), 0)::bigint AS completed,
               coalesce(sum(x.n) FILTER (WHERE x.s = 'in_progress'), 0)::bigint AS in_progress,
               coalesce(sum(x.n) FILTER (WHERE x.s = 'overdue'), 0)::bigint AS overdue
        FROM (SELECT "training_effective_status"(k.status, k.due_date) AS s, k.n
              FROM "training_assignment_counts" k WHERE k.tenant_id = p_tenant_id) x
    ), m AS (
        SELECT sum(k.minutes_sum) AS minutes, sum(k.minutes_count) AS n
        FROM "training_completion_counts" k WHERE k.tenant_id = p_tenant_id
    )
    SELECT (SELECT count(*) FROM "training_courses" c WHERE c.tenant_id = p_tenant_id),
           a.total, a.completed, a.in_progress, a.overdue,
           CASE WHEN a.total = 0 THEN 0 ELSE round(a.completed * 100.0 / a.total, 2) END,
           CASE WHEN coalesce(m.n, 0) = 0 THEN 0 ELSE round(m.minutes::numeric / m.n, 2) END
    FROM a, m;
END $$;
