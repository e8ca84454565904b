-- A statement's first counter entry of each kind is kept under a fixed setting name (`training_counts.a`, `.d`, `.c`)
-- instead of a hashed slot, and a statement whose entries all sit there (a one-row write: a start, a completion)
-- is written by the statement trigger itself, one single-row upsert per counter table, without the slot bookkeeping
-- or a second function. What that removes from a one-row write: probing and listing slots (several settings read
-- and written per entry, the first write of each of the 1,024 slot names in a session growing the server's table of
-- settings), the flush's parsing of the slot list and its per-tenant loop, and one SECURITY DEFINER call. Entries
-- are added with expressions, not PERFORM queries. A statement with more than one key of a kind (bulk writes) goes
-- on as before: the further keys take slots, and the flush writes every entry, the fixed ones included, tenant by
-- tenant and table by table in key order.

-- Adds one counter row's deltas (`p_key` is `kind|key…`) to the statement's pending entries: the fixed entry of its
-- kind when it is free or holds the same key, else a slot. Deltas are added column by column (up to five; a missing
-- one is NULL and left out of the text).
CREATE FUNCTION "training_counts_put"(p_key TEXT, p_deltas NUMERIC[]) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
    v_name TEXT := 'training_counts.' || left(p_key, 1);
    v_entry TEXT := coalesce(current_setting(v_name, true), '');
    v_sums NUMERIC[];
BEGIN
    IF v_entry = '' THEN
        RETURN set_config(v_name, p_key || '|' || array_to_string(p_deltas, '|'), true) <> '';
    ELSIF starts_with(v_entry, p_key || '|') THEN
        v_sums := string_to_array(substr(v_entry, length(p_key) + 2), '|')::numeric[];
        RETURN set_config(v_name, p_key || '|' || array_to_string(ARRAY[
            v_sums[1] + p_deltas[1], v_sums[2] + p_deltas[2], v_sums[3] + p_deltas[3], v_sums[4] + p_deltas[4],
            v_sums[5] + p_deltas[5]], '|'), true) <> '';
    END IF;
    PERFORM "training_counts_pending_add"(p_key, p_deltas);
    RETURN true;
END $$;

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
    v_put BOOLEAN;
BEGIN
    IF v_old = v_new THEN
        IF OLD.status <> NEW.status THEN
            v_put := "training_counts_put"(v_new, "training_counts_move"(OLD.status, NEW.status));
        END IF;
    ELSE
        IF v_old IS NOT NULL THEN
            v_put := "training_counts_put"(v_old, "training_counts_move"(OLD.status, NULL));
        END IF;
        IF v_new IS NOT NULL THEN
            v_put := "training_counts_put"(v_new, "training_counts_move"(NULL, NEW.status));
        END IF;
    END IF;
    IF v_old_due = v_new_due THEN
        IF OLD.status <> NEW.status THEN
            v_put := "training_counts_put"(v_new_due, ("training_counts_move"(OLD.status, NEW.status))[1:2]);
        END IF;
    ELSE
        IF v_old_due IS NOT NULL THEN
            v_put := "training_counts_put"(v_old_due, ("training_counts_move"(OLD.status, NULL))[1:2]);
        END IF;
        IF v_new_due IS NOT NULL THEN
            v_put := "training_counts_put"(v_new_due, ("training_counts_move"(NULL, NEW.status))[1:2]);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION "training_completion_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_put BOOLEAN;
BEGIN
    -- A passed completion counts in its course's row; a failed attempt counts nowhere.
    IF TG_OP <> 'INSERT' AND OLD.passed THEN
        v_put := "training_counts_put"(concat_ws('|', 'c', OLD.tenant_id, OLD.course_id), ARRAY[
            -1, -coalesce(OLD.completion_time_minutes, 0), -(OLD.completion_time_minutes IS NOT NULL)::int,
            -coalesce(OLD.score, 0), -(OLD.score IS NOT NULL)::int]);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.passed THEN
        v_put := "training_counts_put"(concat_ws('|', 'c', NEW.tenant_id, NEW.course_id), ARRAY[
            1, coalesce(NEW.completion_time_minutes, 0), (NEW.completion_time_minutes IS NOT NULL)::int,
            coalesce(NEW.score, 0), (NEW.score IS NOT NULL)::int]);
    END IF;
    RETURN NULL;
END $$;

-- Every pending entry, the fixed ones and the slots', written as before.
CREATE OR REPLACE FUNCTION "training_counts_flush_pending"() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_touched TEXT := coalesce(current_setting('training_counts.touched', true), '');
    v_entries TEXT[] := array_remove(ARRAY[nullif(current_setting('training_counts.a', true), ''),
                                           nullif(current_setting('training_counts.d', true), ''),
                                           nullif(current_setting('training_counts.c', true), '')], NULL);
    v_slots TEXT[];
    v_kinds TEXT;
    v_tenant UUID;
    v_courses UUID[];
    v_due_dates DATE[];
    v_due_courses UUID[];
    v_completion_courses UUID[];
BEGIN
    IF v_touched = '' AND cardinality(v_entries) = 0 THEN
        RETURN;
    END IF;
    IF v_touched <> '' THEN
        v_slots := string_to_array(substr(v_touched, 2), ',');
        SELECT v_entries || array_agg(current_setting('training_counts.s' || substr(s, 2), true))
        INTO v_entries FROM unnest(v_slots) s;
        PERFORM set_config('training_counts.s' || substr(s, 2), '', true) FROM unnest(v_slots) s;
        PERFORM set_config('training_counts.touched', '', true), set_config('training_counts.used', '', true);
    END IF;
    PERFORM set_config('training_counts.a', '', true), set_config('training_counts.d', '', true),
            set_config('training_counts.c', '', true);
    SELECT string_agg(DISTINCT left(x, 1), '') INTO v_kinds FROM unnest(v_entries) x;

    -- Tenant by tenant, and each tenant's rows table by table in key order, so writers lock them in the same order.
    -- A row whose counts all reach zero is deleted; its keys come back typed from the upsert (Citus refuses a
    -- DELETE whose condition applies a STABLE function, such as a text-to-date cast, to a column).
    FOR v_tenant IN SELECT DISTINCT split_part(x, '|', 2)::uuid FROM unnest(v_entries) x ORDER BY 1 LOOP
        v_courses := NULL; v_due_dates := NULL; v_due_courses := NULL; v_completion_courses := NULL;
        IF strpos(v_kinds, 'a') > 0 THEN
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

        IF strpos(v_kinds, 'd') > 0 THEN
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

        IF strpos(v_kinds, 'c') > 0 THEN
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

-- After the statement's row triggers. When its entries are the fixed ones of one tenant (at most one counter row per
-- table), each is one single-row upsert here, in the flush's order (assignment, due-date, completion counters);
-- anything more goes to the flush above.
CREATE OR REPLACE FUNCTION "training_counts_flush"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_a TEXT := coalesce(current_setting('training_counts.a', true), '');
    v_d TEXT := coalesce(current_setting('training_counts.d', true), '');
    v_c TEXT := coalesce(current_setting('training_counts.c', true), '');
    v_tenant TEXT := split_part(coalesce(nullif(v_a, ''), nullif(v_d, ''), v_c), '|', 2);
    p TEXT[];
    v_set TEXT;
    v_empty BOOLEAN;
    v_courses UUID[];
    v_due_dates DATE[];
    v_due_courses UUID[];
    v_completion_courses UUID[];
BEGIN
    IF coalesce(current_setting('training_counts.touched', true), '') <> ''
       OR (v_a <> '' AND split_part(v_a, '|', 2) <> v_tenant) OR (v_d <> '' AND split_part(v_d, '|', 2) <> v_tenant)
       OR (v_c <> '' AND split_part(v_c, '|', 2) <> v_tenant) THEN
        PERFORM "training_counts_flush_pending"();
        RETURN NULL;
    END IF;
    IF v_a <> '' THEN
        v_set := set_config('training_counts.a', '', true);
        p := string_to_array(v_a, '|');
        IF (p[4]::bigint, p[5]::bigint, p[6]::bigint, p[7]::bigint, p[8]::bigint) <> (0, 0, 0, 0, 0) THEN
            INSERT INTO "training_assignment_counts" AS c
                ("tenant_id", "course_id", "assigned", "in_progress", "completed", "overdue", "cancelled")
            VALUES (p[2]::uuid, p[3]::uuid, p[4]::bigint, p[5]::bigint, p[6]::bigint, p[7]::bigint, p[8]::bigint)
            ON CONFLICT ("tenant_id", "course_id") DO UPDATE SET
                "assigned"    = c."assigned"    + EXCLUDED."assigned",
                "in_progress" = c."in_progress" + EXCLUDED."in_progress",
                "completed"   = c."completed"   + EXCLUDED."completed",
                "overdue"     = c."overdue"     + EXCLUDED."overdue",
                "cancelled"   = c."cancelled"   + EXCLUDED."cancelled"
            RETURNING (c."assigned", c."in_progress", c."completed", c."overdue", c."cancelled") = (0, 0, 0, 0, 0)
            INTO v_empty;
            IF v_empty THEN
                v_courses := ARRAY[p[3]::uuid];
            END IF;
        END IF;
    END IF;
    IF v_d <> '' THEN
        v_set := set_config('training_counts.d', '', true);
        p := string_to_array(v_d, '|');
        IF (p[5]::bigint, p[6]::bigint) <> (0, 0) THEN
            INSERT INTO "training_assignment_due_counts" AS c ("tenant_id", "due_date", "course_id", "assigned", "in_progress")
            VALUES (p[2]::uuid, p[3]::date, p[4]::uuid, p[5]::bigint, p[6]::bigint)
            ON CONFLICT ("tenant_id", "due_date", "course_id") DO UPDATE SET
                "assigned"    = c."assigned"    + EXCLUDED."assigned",
                "in_progress" = c."in_progress" + EXCLUDED."in_progress"
            RETURNING (c."assigned", c."in_progress") = (0, 0) INTO v_empty;
            IF v_empty THEN
                v_due_dates := ARRAY[p[3]::date];
                v_due_courses := ARRAY[p[4]::uuid];
            END IF;
        END IF;
    END IF;
    IF v_c <> '' THEN
        v_set := set_config('training_counts.c', '', true);
        p := string_to_array(v_c, '|');
        IF (p[4]::bigint, p[5]::bigint, p[6]::bigint, p[7]::numeric, p[8]::bigint) <> (0, 0, 0, 0, 0) THEN
            INSERT INTO "training_completion_counts" AS k
                ("tenant_id", "course_id", "passed_count", "minutes_sum", "minutes_count", "score_sum", "score_count")
            VALUES (p[2]::uuid, p[3]::uuid, p[4]::bigint, p[5]::bigint, p[6]::bigint, p[7]::numeric, p[8]::bigint)
            ON CONFLICT ("tenant_id", "course_id") DO UPDATE SET
                "passed_count"  = k."passed_count"  + EXCLUDED."passed_count",
                "minutes_sum"   = k."minutes_sum"   + EXCLUDED."minutes_sum",
                "minutes_count" = k."minutes_count" + EXCLUDED."minutes_count",
                "score_sum"     = k."score_sum"     + EXCLUDED."score_sum",
                "score_count"   = k."score_count"   + EXCLUDED."score_count"
            RETURNING k."passed_count" = 0 INTO v_empty;
            IF v_empty THEN
                v_completion_courses := ARRAY[p[3]::uuid];
            END IF;
        END IF;
    END IF;
    IF v_courses IS NOT NULL OR v_due_dates IS NOT NULL OR v_completion_courses IS NOT NULL THEN
        PERFORM "training_counts_delete_emptied"(v_tenant::uuid, v_courses, v_due_dates, v_due_courses, v_completion_courses);
    END IF;
    RETURN NULL;
END $$;

GRANT CREATE ON SCHEMA public TO "training_counter";
ALTER FUNCTION "training_counts_put"(TEXT, NUMERIC[]) OWNER TO "training_counter";
REVOKE CREATE ON SCHEMA public FROM "training_counter";
