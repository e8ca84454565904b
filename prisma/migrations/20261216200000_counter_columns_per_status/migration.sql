-- One assignment counter row per (tenant, course) with a column per stored status, and one due-date counter row per
-- (tenant, due date, course) with a column per status that can fall due, in place of a row per status. A start
-- (assigned → in progress) or a completion moves its assignment between two columns of one row: the row trigger adds
-- one entry per counter table to the transaction's pending deltas, and the statement trigger upserts one row per
-- counter table instead of two (the upserts were most of what the counters add to a one-row write). Bulk writes keep
-- the per-statement deltas: a statement still writes each row it changed once, in key order.
--
-- The counts are recounted from the rows. Writers of assignments and completions wait for this transaction, so no
-- write is missed or counted twice; RLS is forced even for the table owner (a migrating user that is not a
-- superuser would see no rows), lifted for this transaction.
LOCK TABLE "training_assignments", "training_completions" IN SHARE MODE;

DELETE FROM "training_assignment_counts";
ALTER TABLE "training_assignment_counts" DROP CONSTRAINT "training_assignment_counts_pkey";
ALTER TABLE "training_assignment_counts"
    DROP COLUMN "status",
    DROP COLUMN "n",
    ADD COLUMN "assigned"    BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "in_progress" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "completed"   BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "overdue"     BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "cancelled"   BIGINT NOT NULL DEFAULT 0,
    ADD CONSTRAINT "training_assignment_counts_pkey" PRIMARY KEY ("tenant_id", "course_id");

DELETE FROM "training_assignment_due_counts";
ALTER TABLE "training_assignment_due_counts" DROP CONSTRAINT "training_assignment_due_counts_pkey";
ALTER TABLE "training_assignment_due_counts"
    DROP COLUMN "status",
    DROP COLUMN "n",
    ADD COLUMN "assigned"    BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "in_progress" BIGINT NOT NULL DEFAULT 0,
    ADD CONSTRAINT "training_assignment_due_counts_pkey" PRIMARY KEY ("tenant_id", "due_date", "course_id");

ALTER TABLE "training_assignments" NO FORCE ROW LEVEL SECURITY;
INSERT INTO "training_assignment_counts" ("tenant_id", "course_id", "assigned", "in_progress", "completed", "overdue", "cancelled")
SELECT tenant_id, course_id, count(*) FILTER (WHERE status = 'assigned'), count(*) FILTER (WHERE status = 'in_progress'),
       count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'overdue'),
       count(*) FILTER (WHERE status = 'cancelled')
FROM "training_assignments"
GROUP BY 1, 2;
INSERT INTO "training_assignment_due_counts" ("tenant_id", "due_date", "course_id", "assigned", "in_progress")
SELECT tenant_id, due_date, course_id, count(*) FILTER (WHERE status = 'assigned'), count(*) FILTER (WHERE status = 'in_progress')
FROM "training_assignments"
WHERE status IN ('assigned', 'in_progress') AND due_date IS NOT NULL
GROUP BY 1, 2, 3;
ALTER TABLE "training_assignments" FORCE ROW LEVEL SECURITY;

-- What moving one assignment from status p_from to p_to (either NULL: it arrives or leaves) adds to each status
-- column, in the columns' order: assigned, in_progress, completed, overdue, cancelled. The due-date counters take
-- the first two.
CREATE FUNCTION "training_counts_move"(p_from TEXT, p_to TEXT) RETURNS NUMERIC[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY[(p_to IS NOT DISTINCT FROM 'assigned')::int - (p_from IS NOT DISTINCT FROM 'assigned')::int,
                 (p_to IS NOT DISTINCT FROM 'in_progress')::int - (p_from IS NOT DISTINCT FROM 'in_progress')::int,
                 (p_to IS NOT DISTINCT FROM 'completed')::int - (p_from IS NOT DISTINCT FROM 'completed')::int,
                 (p_to IS NOT DISTINCT FROM 'overdue')::int - (p_from IS NOT DISTINCT FROM 'overdue')::int,
                 (p_to IS NOT DISTINCT FROM 'cancelled')::int - (p_from IS NOT DISTINCT FROM 'cancelled')::int]::numeric[]
$$;

-- Pending entries are now `a|tenant|course|assigned|in_progress|completed|overdue|cancelled` and
-- `d|tenant|due_date|course|assigned|in_progress` (deltas per column); `c|…` is unchanged.
CREATE OR REPLACE FUNCTION "training_assignment_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    -- The row's counter rows before (old) and after (new); an assignment that stays in its row moves between columns.
    v_old TEXT := CASE WHEN TG_OP <> 'INSERT' THEN concat_ws('|', 'a', OLD.tenant_id, OLD.course_id) END;
    v_new TEXT := CASE WHEN TG_OP <> 'DELETE' THEN concat_ws('|', 'a', NEW.tenant_id, NEW.course_id) END;
    v_old_due TEXT := CASE WHEN TG_OP <> 'INSERT' AND OLD.status IN ('assigned', 'in_progress') AND OLD.due_date IS NOT NULL
                           THEN concat_ws('|', 'd', OLD.tenant_id, OLD.due_date, OLD.course_id) END;
    v_new_due TEXT := CASE WHEN TG_OP <> 'DELETE' AND NEW.status IN ('assigned', 'in_progress') AND NEW.due_date IS NOT NULL
                           THEN concat_ws('|', 'd', NEW.tenant_id, NEW.due_date, NEW.course_id) END;
BEGIN
    IF v_old = v_new THEN
        IF OLD.status <> NEW.status THEN
            PERFORM "training_counts_pending_add"(v_new, "training_counts_move"(OLD.status, NEW.status));
        END IF;
    ELSE
        IF v_old IS NOT NULL THEN
            PERFORM "training_counts_pending_add"(v_old, "training_counts_move"(OLD.status, NULL));
        END IF;
        IF v_new IS NOT NULL THEN
            PERFORM "training_counts_pending_add"(v_new, "training_counts_move"(NULL, NEW.status));
        END IF;
    END IF;
    IF v_old_due = v_new_due THEN
        IF OLD.status <> NEW.status THEN
            PERFORM "training_counts_pending_add"(v_new_due, ("training_counts_move"(OLD.status, NEW.status))[1:2]);
        END IF;
    ELSE
        IF v_old_due IS NOT NULL THEN
            PERFORM "training_counts_pending_add"(v_old_due, ("training_counts_move"(OLD.status, NULL))[1:2]);
        END IF;
        IF v_new_due IS NOT NULL THEN
            PERFORM "training_counts_pending_add"(v_new_due, ("training_counts_move"(NULL, NEW.status))[1:2]);
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- The counter rows a flush emptied, deleted. Planned with the tenant's value at each call: in a generic plan a
-- distributed database (Citus) has no value to choose the shard of the due-date DELETE's join by. Called only when a
-- row empties, so the flush itself (below) needs no plan per call.
CREATE FUNCTION "training_counts_delete_emptied"(p_tenant UUID, p_courses UUID[], p_due_dates DATE[],
                                                 p_due_courses UUID[], p_completion_courses UUID[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    IF p_courses IS NOT NULL THEN
        DELETE FROM "training_assignment_counts" c
        WHERE c.tenant_id = p_tenant AND c.course_id = ANY (p_courses)
          AND (c.assigned, c.in_progress, c.completed, c.overdue, c.cancelled) = (0, 0, 0, 0, 0);
    END IF;
    IF p_due_dates IS NOT NULL THEN
        DELETE FROM "training_assignment_due_counts" c
        USING unnest(p_due_dates, p_due_courses) AS z(due_date, course_id)
        WHERE c.tenant_id = p_tenant AND c.due_date = z.due_date AND c.course_id = z.course_id
          AND (c.assigned, c.in_progress) = (0, 0);
    END IF;
    IF p_completion_courses IS NOT NULL THEN
        DELETE FROM "training_completion_counts" k
        WHERE k.tenant_id = p_tenant AND k.course_id = ANY (p_completion_courses) AND k.passed_count = 0;
    END IF;
END $$;

-- No longer planned per call (plan_cache_mode as the session has it): re-planning its statements at every flush was
-- most of what the counters added to a one-row write. None of its statements reads a counter table by the tenant
-- variable: the tenant picks the pending entries to upsert, and each upserted row goes to its own tenant's shard.
-- The emptied rows are deleted by the function above.
CREATE OR REPLACE FUNCTION "training_counts_flush_pending"() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_touched TEXT := current_setting('training_counts.touched', true);
    v_slots TEXT[];
    v_entries TEXT[];
    v_tenant UUID;
    v_courses UUID[];
    v_due_dates DATE[];
    v_due_courses UUID[];
    v_completion_courses UUID[];
BEGIN
    IF v_touched IS NULL OR v_touched = '' THEN
        RETURN;
    END IF;
    v_slots := string_to_array(substr(v_touched, 2), ',');
    SELECT array_agg(current_setting('training_counts.s' || substr(s, 2), true)) INTO v_entries FROM unnest(v_slots) s;
    PERFORM set_config('training_counts.s' || substr(s, 2), '', true) FROM unnest(v_slots) s;
    PERFORM set_config('training_counts.touched', '', true), set_config('training_counts.used', '', true);

    -- Tenant by tenant, and each tenant's rows table by table in key order, so writers lock them in the same order.
    -- A row whose counts all reach zero is deleted; its keys come back typed from the upsert (Citus refuses a
    -- DELETE whose condition applies a STABLE function, such as a text-to-date cast, to a column).
    FOR v_tenant IN SELECT DISTINCT split_part(x, '|', 2)::uuid FROM unnest(v_entries) x ORDER BY 1 LOOP
        v_courses := NULL; v_due_dates := NULL; v_due_courses := NULL; v_completion_courses := NULL;
        IF strpos(v_touched, ',a') > 0 THEN
            WITH e AS (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x),
            up AS (
                INSERT INTO "training_assignment_counts" AS c
                    ("tenant_id", "course_id", "assigned", "in_progress", "completed", "overdue", "cancelled")
                SELECT p[2]::uuid, p[3]::uuid, p[4]::bigint, p[5]::bigint, p[6]::bigint, p[7]::bigint, p[8]::bigint FROM e
                WHERE p[1] = 'a' AND p[2]::uuid = v_tenant
                  AND (p[4]::bigint, p[5]::bigint, p[6]::bigint, p[7]::bigint, p[8]::bigint) <> (0, 0, 0, 0, 0)
                ORDER BY 1, 2
                ON CONFLICT ("tenant_id", "course_id") DO UPDATE SET
                    "assigned"    = c."assigned"    + EXCLUDED."assigned",
                    "in_progress" = c."in_progress" + EXCLUDED."in_progress",
                    "completed"   = c."completed"   + EXCLUDED."completed",
                    "overdue"     = c."overdue"     + EXCLUDED."overdue",
                    "cancelled"   = c."cancelled"   + EXCLUDED."cancelled"
                RETURNING c."course_id", (c."assigned", c."in_progress", c."completed", c."overdue", c."cancelled")
                                         = (0, 0, 0, 0, 0) AS empty)
            SELECT array_agg(up.course_id) FILTER (WHERE up.empty) INTO v_courses FROM up;
        END IF;

        IF strpos(v_touched, ',d') > 0 THEN
            WITH e AS (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x),
            up AS (
                INSERT INTO "training_assignment_due_counts" AS c ("tenant_id", "due_date", "course_id", "assigned", "in_progress")
                SELECT p[2]::uuid, p[3]::date, p[4]::uuid, p[5]::bigint, p[6]::bigint FROM e
                WHERE p[1] = 'd' AND p[2]::uuid = v_tenant AND (p[5]::bigint, p[6]::bigint) <> (0, 0)
                ORDER BY 1, 2, 3
                ON CONFLICT ("tenant_id", "due_date", "course_id") DO UPDATE SET
                    "assigned"    = c."assigned"    + EXCLUDED."assigned",
                    "in_progress" = c."in_progress" + EXCLUDED."in_progress"
                RETURNING c."due_date", c."course_id", (c."assigned", c."in_progress") = (0, 0) AS empty)
            SELECT array_agg(up.due_date) FILTER (WHERE up.empty), array_agg(up.course_id) FILTER (WHERE up.empty)
            INTO v_due_dates, v_due_courses FROM up;
        END IF;

        IF strpos(v_touched, ',c') > 0 THEN
            WITH e AS (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x),
            up AS (
                INSERT INTO "training_completion_counts" AS k
                    ("tenant_id", "course_id", "passed_count", "minutes_sum", "minutes_count", "score_sum", "score_count")
                SELECT p[2]::uuid, p[3]::uuid, p[4]::bigint, p[5]::bigint, p[6]::bigint, p[7]::numeric, p[8]::bigint FROM e
                WHERE p[1] = 'c' AND p[2]::uuid = v_tenant
                  AND (p[4]::bigint, p[5]::bigint, p[6]::bigint, p[7]::numeric, p[8]::bigint) <> (0, 0, 0, 0, 0)
                ORDER BY 1, 2
                ON CONFLICT ("tenant_id", "course_id") DO UPDATE SET
                    "passed_count"  = k."passed_count"  + EXCLUDED."passed_count",
                    "minutes_sum"   = k."minutes_sum"   + EXCLUDED."minutes_sum",
                    "minutes_count" = k."minutes_count" + EXCLUDED."minutes_count",
                    "score_sum"     = k."score_sum"     + EXCLUDED."score_sum",
                    "score_count"   = k."score_count"   + EXCLUDED."score_count"
                RETURNING k."course_id", k."passed_count")
            SELECT array_agg(up.course_id) FILTER (WHERE up.passed_count = 0) INTO v_completion_courses FROM up;
        END IF;

        IF v_courses IS NOT NULL OR v_due_dates IS NOT NULL OR v_completion_courses IS NOT NULL THEN
            PERFORM "training_counts_delete_emptied"(v_tenant, v_courses, v_due_dates, v_due_courses, v_completion_courses);
        END IF;
    END LOOP;
END $$;

GRANT CREATE ON SCHEMA public TO "training_counter";
ALTER FUNCTION "training_counts_delete_emptied"(UUID, UUID[], DATE[], UUID[], UUID[]) OWNER TO "training_counter";
REVOKE CREATE ON SCHEMA public FROM "training_counter";
-- Only the counter functions call it.
REVOKE ALL ON FUNCTION "training_counts_delete_emptied"(UUID, UUID[], DATE[], UUID[], UUID[]) FROM PUBLIC;

-- A tenant's assignments per course and effective status, from the counters: the stored 'assigned'/'in_progress'
-- ones past their due date read as 'overdue'. The same rows as before (course, status, n), statuses with none left
-- out; src/analytics/analytics-sql.ts writes the same sums out for the statements that join the tenant's tables.
CREATE OR REPLACE FUNCTION "training_assignment_effective_counts"(p_tenant_id uuid)
 RETURNS TABLE(course_id uuid, status text, n bigint)
 LANGUAGE plpgsql
 STABLE
 SET plan_cache_mode = force_custom_plan
AS $function$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        WITH past_due AS (
            SELECT d.course_id, sum(d.assigned)::bigint AS assigned, sum(d.in_progress)::bigint AS in_progress
            FROM "training_assignment_due_counts" d
            WHERE d.tenant_id = p_tenant_id AND d.due_date < "training_today"()
            GROUP BY d.course_id
        )
        SELECT k.course_id, s.status, s.n
        FROM "training_assignment_counts" k
        LEFT JOIN past_due p ON p.course_id = k.course_id
        CROSS JOIN LATERAL (VALUES
            ('assigned'::text, k.assigned - coalesce(p.assigned, 0)),
            ('in_progress', k.in_progress - coalesce(p.in_progress, 0)),
            ('completed', k.completed),
            ('overdue', k.overdue + coalesce(p.assigned, 0) + coalesce(p.in_progress, 0)),
            ('cancelled', k.cancelled)) AS s(status, n)
        WHERE k.tenant_id = p_tenant_id AND s.n <> 0;
END
$function$;
