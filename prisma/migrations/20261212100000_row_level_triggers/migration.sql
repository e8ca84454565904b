-- Row triggers in place of the statement triggers with transition tables: a database
-- distributed by tenant_id (Citus) runs a table's triggers on each shard, where no
-- transition table exists. Each trigger keeps its name (same firing order) and does the
-- same work for one row. What a statement now costs: one trigger call per row it writes.

-- ---------------------------------------------------------------------------------
-- Analytics counters. A row moves between at most two buckets of each counter table;
-- both are written in key order (as the statement triggers sorted theirs), so two
-- writers moving rows between the same buckets lock them in the same order. Writers
-- of the same bucket wait for each other, as they did.
-- ---------------------------------------------------------------------------------
DROP TRIGGER "training_assignment_counts_insert" ON "training_assignments";
DROP TRIGGER "training_assignment_counts_update" ON "training_assignments";
DROP TRIGGER "training_assignment_counts_delete" ON "training_assignments";
DROP TRIGGER "training_completion_counts_insert" ON "training_completions";
DROP TRIGGER "training_completion_counts_update" ON "training_completions";
DROP TRIGGER "training_completion_counts_delete" ON "training_completions";

CREATE OR REPLACE FUNCTION "training_assignment_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    -- The row as it arrived (+1) and as it left (-1).
    r_tenant UUID[] := '{}'; r_course UUID[] := '{}'; r_status TEXT[] := '{}'; r_due DATE[] := '{}';
    r_d BIGINT[] := '{}';
    k_tenant UUID[]; k_course UUID[]; k_status TEXT[]; k_n BIGINT[];
    d_tenant UUID[]; d_due DATE[]; d_course UUID[]; d_status TEXT[]; d_n BIGINT[];
BEGIN
    IF TG_OP <> 'DELETE' THEN
        r_tenant := r_tenant || NEW.tenant_id; r_course := r_course || NEW.course_id;
        r_status := r_status || NEW.status::text; r_due := r_due || NEW.due_date; r_d := r_d || 1::bigint;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        r_tenant := r_tenant || OLD.tenant_id; r_course := r_course || OLD.course_id;
        r_status := r_status || OLD.status::text; r_due := r_due || OLD.due_date; r_d := r_d || -1::bigint;
    END IF;

    WITH src AS (SELECT * FROM unnest(r_tenant, r_course, r_status, r_due, r_d) AS s(tenant_id, course_id, status, due_date, d)),
    k AS (SELECT tenant_id, course_id, status, sum(d)::bigint AS n FROM src GROUP BY 1, 2, 3 HAVING sum(d) <> 0),
    dd AS (SELECT tenant_id, due_date, course_id, status, sum(d)::bigint AS n FROM src
           WHERE status IN ('assigned', 'in_progress') AND due_date IS NOT NULL
           GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0)
    SELECT (SELECT array_agg(tenant_id) FROM k), (SELECT array_agg(course_id) FROM k),
           (SELECT array_agg(status) FROM k), (SELECT array_agg(n) FROM k),
           (SELECT array_agg(tenant_id) FROM dd), (SELECT array_agg(due_date) FROM dd),
           (SELECT array_agg(course_id) FROM dd), (SELECT array_agg(status) FROM dd), (SELECT array_agg(n) FROM dd)
    INTO k_tenant, k_course, k_status, k_n, d_tenant, d_due, d_course, d_status, d_n;

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

CREATE OR REPLACE FUNCTION "training_completion_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    -- The row as it arrived (+1) and as it left (-1), if passed: failed attempts count nowhere.
    r_tenant UUID[] := '{}'; r_course UUID[] := '{}'; r_minutes INT[] := '{}'; r_score NUMERIC[] := '{}';
    r_s INT[] := '{}';
    v_tenant  UUID[];
    v_course  UUID[];
    v_passed  BIGINT[];
    v_minutes BIGINT[];
    v_minutes_count BIGINT[];
    v_score   NUMERIC[];
    v_score_count BIGINT[];
BEGIN
    IF TG_OP <> 'DELETE' AND NEW.passed THEN
        r_tenant := r_tenant || NEW.tenant_id; r_course := r_course || NEW.course_id;
        r_minutes := r_minutes || NEW.completion_time_minutes::int; r_score := r_score || NEW.score::numeric;
        r_s := r_s || 1;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.passed THEN
        r_tenant := r_tenant || OLD.tenant_id; r_course := r_course || OLD.course_id;
        r_minutes := r_minutes || OLD.completion_time_minutes::int; r_score := r_score || OLD.score::numeric;
        r_s := r_s || -1;
    END IF;
    IF cardinality(r_s) = 0 THEN
        RETURN NULL;
    END IF;

    SELECT array_agg(g.tenant_id), array_agg(g.course_id), array_agg(g.passed), array_agg(g.minutes),
           array_agg(g.minutes_count), array_agg(g.score), array_agg(g.score_count)
    INTO v_tenant, v_course, v_passed, v_minutes, v_minutes_count, v_score, v_score_count
    FROM (SELECT d.tenant_id, d.course_id, sum(d.s)::bigint AS passed,
                 coalesce(sum(d.s * d.completion_time_minutes), 0)::bigint AS minutes,
                 sum(d.s * (d.completion_time_minutes IS NOT NULL)::int)::bigint AS minutes_count,
                 coalesce(sum(d.s * d.score), 0) AS score,
                 sum(d.s * (d.score IS NOT NULL)::int)::bigint AS score_count
          FROM unnest(r_tenant, r_course, r_minutes, r_score, r_s) AS d(tenant_id, course_id, completion_time_minutes, score, s)
          GROUP BY 1, 2
          -- An update that changes no passed completion's figures changes no bucket.
          HAVING sum(d.s) <> 0 OR coalesce(sum(d.s * d.completion_time_minutes), 0) <> 0
              OR sum(d.s * (d.completion_time_minutes IS NOT NULL)::int) <> 0
              OR coalesce(sum(d.s * d.score), 0) <> 0 OR sum(d.s * (d.score IS NOT NULL)::int) <> 0) g;
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

-- An AFTER row trigger sees the row as stored (after the BEFORE triggers), so they count
-- what was stored. An update that moves no row between buckets calls nothing.
CREATE TRIGGER "training_assignment_counts_insert" AFTER INSERT ON "training_assignments"
    FOR EACH ROW EXECUTE FUNCTION "training_assignment_counts_apply"();
CREATE TRIGGER "training_assignment_counts_update" AFTER UPDATE ON "training_assignments"
    FOR EACH ROW WHEN ((OLD.tenant_id, OLD.course_id, OLD.status, OLD.due_date)
                       IS DISTINCT FROM (NEW.tenant_id, NEW.course_id, NEW.status, NEW.due_date))
    EXECUTE FUNCTION "training_assignment_counts_apply"();
CREATE TRIGGER "training_assignment_counts_delete" AFTER DELETE ON "training_assignments"
    FOR EACH ROW EXECUTE FUNCTION "training_assignment_counts_apply"();
CREATE TRIGGER "training_completion_counts_insert" AFTER INSERT ON "training_completions"
    FOR EACH ROW WHEN (NEW.passed) EXECUTE FUNCTION "training_completion_counts_apply"();
CREATE TRIGGER "training_completion_counts_update" AFTER UPDATE ON "training_completions"
    FOR EACH ROW WHEN ((OLD.passed OR NEW.passed)
                       AND (OLD.tenant_id, OLD.course_id, OLD.passed, OLD.completion_time_minutes, OLD.score)
                       IS DISTINCT FROM (NEW.tenant_id, NEW.course_id, NEW.passed, NEW.completion_time_minutes, NEW.score))
    EXECUTE FUNCTION "training_completion_counts_apply"();
CREATE TRIGGER "training_completion_counts_delete" AFTER DELETE ON "training_completions"
    FOR EACH ROW WHEN (OLD.passed) EXECUTE FUNCTION "training_completion_counts_apply"();

-- ---------------------------------------------------------------------------------
-- The outbox: each new assignment's e-mail, in the inserting transaction.
-- ---------------------------------------------------------------------------------
DROP TRIGGER "training_assignments_outbox_created" ON "training_assignments";
DROP FUNCTION "training_assignments_outbox_created"();
CREATE FUNCTION "training_assignments_outbox_created"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO "notifications" ("tenant_id", "user_id", "kind", "assignment_id", "completion_id", "subject")
    VALUES (NEW.tenant_id, NEW.user_id,
            CASE WHEN NEW.recertification_of IS NULL THEN 'assignment_created' ELSE 'recertification_assigned' END,
            NEW.id, NEW.recertification_of, NEW.id::text)
    ON CONFLICT ("tenant_id", "user_id", "kind", "subject") DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER "training_assignments_outbox_created" AFTER INSERT ON "training_assignments"
    FOR EACH ROW EXECUTE FUNCTION "training_assignments_outbox_created"();

-- ---------------------------------------------------------------------------------
-- Live events: one payload per row (the hub batches what it hears).
-- ---------------------------------------------------------------------------------
DROP TRIGGER "training_assignments_notify_created" ON "training_assignments";
DROP FUNCTION "training_assignments_notify_created"();
CREATE FUNCTION "training_assignments_notify_created"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('training_assignment_created',
        json_build_object('tenantId', NEW.tenant_id, 'assignments', json_build_array(json_build_array(NEW.id, NEW.user_id)))::text);
    RETURN NULL;
END $$;
CREATE TRIGGER "training_assignments_notify_created" AFTER INSERT ON "training_assignments"
    FOR EACH ROW EXECUTE FUNCTION "training_assignments_notify_created"();

-- Completions (new, changed, deleted), new or changed shifts, new operators, changed
-- certificates: the user concerned. PostgreSQL sends a transaction's identical payloads
-- once, so a user is announced once per transaction however many of their rows change.
DROP TRIGGER "training_completions_qualification_insert" ON "training_completions";
DROP TRIGGER "training_completions_qualification_update" ON "training_completions";
DROP TRIGGER "training_completions_qualification_delete" ON "training_completions";
DROP TRIGGER "shift_assignments_qualification_insert" ON "shift_assignments";
DROP TRIGGER "shift_assignments_qualification_update" ON "shift_assignments";
DROP TRIGGER "equipment_operators_qualification_insert" ON "equipment_operators";
DROP TRIGGER "certificates_qualification_revoked" ON "certificates";
DROP FUNCTION "qualification_changed_rows"();
CREATE FUNCTION "qualification_changed_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM "notify_qualification_changed"(OLD.tenant_id, ARRAY[OLD.user_id]);
    ELSE
        PERFORM "notify_qualification_changed"(NEW.tenant_id, ARRAY[NEW.user_id]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER "training_completions_qualification_insert" AFTER INSERT ON "training_completions"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "training_completions_qualification_update" AFTER UPDATE ON "training_completions"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "training_completions_qualification_delete" AFTER DELETE ON "training_completions"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "shift_assignments_qualification_insert" AFTER INSERT ON "shift_assignments"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "shift_assignments_qualification_update" AFTER UPDATE ON "shift_assignments"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "equipment_operators_qualification_insert" AFTER INSERT ON "equipment_operators"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "certificates_qualification_revoked" AFTER UPDATE ON "certificates"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
