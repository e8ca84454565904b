-- Tenant-wide analytics from counters kept by the database (SPEC §4 "Analytics", §8
-- "Analytics on 1,000,000 assignments: tens of milliseconds"). Recounting a tenant's rows
-- cannot get there (a bare count(*) of 1M rows is hundreds of ms), so every write to
-- training_assignments / training_completions adjusts small per-bucket counters in the same
-- transaction, and the tenant's figures are sums over its buckets:
--   * training_assignment_counts: (tenant, course, stored status) → n;
--   * training_assignment_due_counts: (tenant, due date, course, stored status) → n, for the
--     rows whose effective status depends on the day: stored 'assigned'/'in_progress' with a
--     due date. Those past due are overdue on read: training_assignment_effective_counts()
--     moves them from their stored status to 'overdue' at read time, against training_today(),
--     reading only the past-due dates (an index range), so "overdue" stays exact between sweeps
--     and the read does not grow with the number of future due dates;
--   * training_completion_counts: (tenant, course) → passed completions, the sum and count of
--     their minutes (avgCompletionTime) and of their scores (averageScore).
-- Per-user figures (a worker's own progress) keep reading the base tables (index on
-- tenant_id, user_id, status): one user's rows are few.
-- No CHECK (n >= 0): an upsert's proposed row carries the (possibly negative) delta, and
-- PostgreSQL checks it before it finds the conflict.

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
    "n"         BIGINT NOT NULL,
    CONSTRAINT "training_assignment_counts_pkey" PRIMARY KEY ("tenant_id", "course_id", "status")
);

-- Keyed by due date first, so "past due for this tenant" is one index range.
CREATE TABLE "training_assignment_due_counts" (
    "tenant_id" UUID NOT NULL,
    "due_date"  DATE NOT NULL,
    "course_id" UUID NOT NULL,
    "status"    TEXT NOT NULL,
    "n"         BIGINT NOT NULL,
    CONSTRAINT "training_assignment_due_counts_pkey" PRIMARY KEY ("tenant_id", "due_date", "course_id", "status")
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
-- the same order (no deadlock between them): first training_assignment_counts, then
-- training_assignment_due_counts, then (a later statement) training_completion_counts. A
-- bucket that drops to zero is deleted, so past due dates do not pile up as empty buckets (a
-- concurrent upsert of the same bucket waits for the delete to commit and then inserts
-- afresh: ON CONFLICT retries).
CREATE FUNCTION "training_assignment_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    -- Net change per (tenant, course, status) and per (tenant, due date, course, status).
    k_tenant UUID[]; k_course UUID[]; k_status TEXT[]; k_n BIGINT[];
    d_tenant UUID[]; d_due DATE[]; d_course UUID[]; d_status TEXT[]; d_n BIGINT[];
BEGIN
    -- The rows that arrived (+1) and left (-1). Each branch names only the transition tables
    -- its trigger has (plpgsql plans a statement when it first runs it).
    IF TG_OP = 'INSERT' THEN
        WITH src AS (SELECT r.tenant_id, r.course_id, r.status, r.due_date, 1 AS d FROM "new_rows" r),
        k AS (SELECT tenant_id, course_id, status, sum(d)::bigint AS n FROM src GROUP BY 1, 2, 3 HAVING sum(d) <> 0),
        dd AS (SELECT tenant_id, due_date, course_id, status, sum(d)::bigint AS n FROM src
               WHERE status IN ('assigned', 'in_progress') AND due_date IS NOT NULL
               GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0)
        SELECT (SELECT array_agg(tenant_id) FROM k), (SELECT array_agg(course_id) FROM k),
               (SELECT array_agg(status) FROM k), (SELECT array_agg(n) FROM k),
               (SELECT array_agg(tenant_id) FROM dd), (SELECT array_agg(due_date) FROM dd),
               (SELECT array_agg(course_id) FROM dd), (SELECT array_agg(status) FROM dd), (SELECT array_agg(n) FROM dd)
        INTO k_tenant, k_course, k_status, k_n, d_tenant, d_due, d_course, d_status, d_n;
    ELSIF TG_OP = 'DELETE' THEN
        WITH src AS (SELECT r.tenant_id, r.course_id, r.status, r.due_date, -1 AS d FROM "old_rows" r),
        k AS (SELECT tenant_id, course_id, status, sum(d)::bigint AS n FROM src GROUP BY 1, 2, 3 HAVING sum(d) <> 0),
        dd AS (SELECT tenant_id, due_date, course_id, status, sum(d)::bigint AS n FROM src
               WHERE status IN ('assigned', 'in_progress') AND due_date IS NOT NULL
               GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0)
        SELECT (SELECT array_agg(tenant_id) FROM k), (SELECT array_agg(course_id) FROM k),
               (SELECT array_agg(status) FROM k), (SELECT array_agg(n) FROM k),
               (SELECT array_agg(tenant_id) FROM dd), (SELECT array_agg(due_date) FROM dd),
               (SELECT array_agg(course_id) FROM dd), (SELECT array_agg(status) FROM dd), (SELECT array_agg(n) FROM dd)
        INTO k_tenant, k_course, k_status, k_n, d_tenant, d_due, d_course, d_status, d_n;
    ELSE
        -- Most updates (start, complete, a field edit) move a row between two buckets or none.
        WITH src AS (SELECT r.tenant_id, r.course_id, r.status, r.due_date, 1 AS d FROM "new_rows" r
                     UNION ALL
                     SELECT r.tenant_id, r.course_id, r.status, r.due_date, -1 FROM "old_rows" r),
        k AS (SELECT tenant_id, course_id, status, sum(d)::bigint AS n FROM src GROUP BY 1, 2, 3 HAVING sum(d) <> 0),
        dd AS (SELECT tenant_id, due_date, course_id, status, sum(d)::bigint AS n FROM src
               WHERE status IN ('assigned', 'in_progress') AND due_date IS NOT NULL
               GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0)
        SELECT (SELECT array_agg(tenant_id) FROM k), (SELECT array_agg(course_id) FROM k),
               (SELECT array_agg(status) FROM k), (SELECT array_agg(n) FROM k),
               (SELECT array_agg(tenant_id) FROM dd), (SELECT array_agg(due_date) FROM dd),
               (SELECT array_agg(course_id) FROM dd), (SELECT array_agg(status) FROM dd), (SELECT array_agg(n) FROM dd)
        INTO k_tenant, k_course, k_status, k_n, d_tenant, d_due, d_course, d_status, d_n;
    END IF;

    IF k_tenant IS NOT NULL THEN
        WITH changed AS (
            INSERT INTO "training_assignment_counts" AS c ("tenant_id", "course_id", "status", "n")
            SELECT * FROM unnest(k_tenant, k_course, k_status, k_n)
            ORDER BY 1, 2, 3
            ON CONFLICT ("tenant_id", "course_id", "status") DO UPDATE SET "n" = c."n" + EXCLUDED."n"
            RETURNING c.tenant_id, c.course_id, c.status, c.n
        )
        SELECT array_agg(tenant_id), array_agg(course_id), array_agg(status)
        INTO k_tenant, k_course, k_status
        FROM changed WHERE n = 0;
        IF k_tenant IS NOT NULL THEN
            DELETE FROM "training_assignment_counts" c
            USING unnest(k_tenant, k_course, k_status) AS z(tenant_id, course_id, status)
            WHERE c.tenant_id = z.tenant_id AND c.course_id = z.course_id AND c.status = z.status AND c.n = 0;
        END IF;
    END IF;

    IF d_tenant IS NOT NULL THEN
        WITH changed AS (
            INSERT INTO "training_assignment_due_counts" AS c ("tenant_id", "due_date", "course_id", "status", "n")
            SELECT * FROM unnest(d_tenant, d_due, d_course, d_status, d_n)
            ORDER BY 1, 2, 3, 4
            ON CONFLICT ("tenant_id", "due_date", "course_id", "status") DO UPDATE SET "n" = c."n" + EXCLUDED."n"
            RETURNING c.tenant_id, c.due_date, c.course_id, c.status, c.n
        )
        SELECT array_agg(tenant_id), array_agg(due_date), array_agg(course_id), array_agg(status)
        INTO d_tenant, d_due, d_course, d_status
        FROM changed WHERE n = 0;
        IF d_tenant IS NOT NULL THEN
            DELETE FROM "training_assignment_due_counts" c
            USING unnest(d_tenant, d_due, d_course, d_status) AS z(tenant_id, due_date, course_id, status)
            WHERE c.tenant_id = z.tenant_id AND c.due_date = z.due_date AND c.course_id = z.course_id
              AND c.status = z.status AND c.n = 0;
        END IF;
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
        DELETE FROM "training_assignment_due_counts";
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
INSERT INTO "training_assignment_counts" ("tenant_id", "course_id", "status", "n")
SELECT tenant_id, course_id, status, count(*)
FROM "training_assignments"
GROUP BY 1, 2, 3;
INSERT INTO "training_assignment_due_counts" ("tenant_id", "due_date", "course_id", "status", "n")
SELECT tenant_id, due_date, course_id, status, count(*)
FROM "training_assignments"
WHERE status IN ('assigned', 'in_progress') AND due_date IS NOT NULL
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
ALTER TABLE "training_assignment_due_counts" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completion_counts" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT ON "training_assignment_counts", "training_assignment_due_counts", "training_completion_counts"
    TO "training_app";
CREATE POLICY "training_assignment_counts_select" ON "training_assignment_counts" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer', 'service'));
CREATE POLICY "training_assignment_due_counts_select" ON "training_assignment_due_counts" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer', 'service'));
CREATE POLICY "training_completion_counts_select" ON "training_completion_counts" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer', 'service'));

GRANT USAGE ON SCHEMA public TO "training_counter";
GRANT SELECT, INSERT, UPDATE, DELETE
    ON "training_assignment_counts", "training_assignment_due_counts", "training_completion_counts"
    TO "training_counter";
CREATE POLICY "training_assignment_counts_counter" ON "training_assignment_counts" FOR ALL TO "training_counter"
    USING (true) WITH CHECK (true);
CREATE POLICY "training_assignment_due_counts_counter" ON "training_assignment_due_counts" FOR ALL TO "training_counter"
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

-- A tenant's assignments per course and *effective* status, from the counters: the stored
-- 'assigned'/'in_progress' ones past their due date move to 'overdue' (the same rule as
-- training_effective_status, applied to buckets). Reads only the past-due dates of the due
-- counters (an index range; few once the overdue sweep has run). Several rows may share a
-- (course, status): sum them. SECURITY INVOKER: the counters' policies apply.
CREATE FUNCTION "training_assignment_effective_counts"(p_tenant_id UUID)
RETURNS TABLE (course_id UUID, status TEXT, n BIGINT)
LANGUAGE sql STABLE AS $$
    WITH past_due AS (
        SELECT d.course_id, d.status, sum(d.n)::bigint AS n
        FROM "training_assignment_due_counts" d
        WHERE d.tenant_id = p_tenant_id AND d.due_date < "training_today"()
        GROUP BY d.course_id, d.status
    )
    SELECT k.course_id, k.status, k.n - coalesce(p.n, 0)
    FROM "training_assignment_counts" k
    LEFT JOIN past_due p ON p.course_id = k.course_id AND p.status = k.status
    WHERE k.tenant_id = p_tenant_id
    UNION ALL
    SELECT p.course_id, 'overdue', p.n FROM past_due p
$$;

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
        SELECT coalesce(sum(e.n) FILTER (WHERE e.status <> 'cancelled'), 0)::bigint AS total,
               coalesce(sum(e.n) FILTER (WHERE e.status = 'completed'), 0)::bigint AS completed,
               coalesce(sum(e.n) FILTER (WHERE e.status = 'in_progress'), 0)::bigint AS in_progress,
               coalesce(sum(e.n) FILTER (WHERE e.status = 'overdue'), 0)::bigint AS overdue
        FROM "training_assignment_effective_counts"(p_tenant_id) e
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
