-- The pending counter deltas are written tenant by tenant, each statement naming its tenant: on a database
-- distributed by tenant_id (Citus) the statement trigger runs on a shard, where a statement that names no
-- tenant (the emptied buckets' DELETE joined its tenants from the entries) would touch every shard. Planned
-- with the tenant's value at each call: a generic plan (PL/pgSQL's after five calls in a session) leaves
-- Citus no value to choose the shard of a statement with a join by, and it goes to every shard.
CREATE OR REPLACE FUNCTION "training_counts_flush_pending"() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_touched TEXT := current_setting('training_counts.touched', true);
    v_slots TEXT[];
    v_entries TEXT[];
    v_emptied BOOLEAN;
    v_tenant UUID;
    v_dates DATE[];
    v_courses UUID[];
    v_statuses TEXT[];
BEGIN
    IF v_touched IS NULL OR v_touched = '' THEN
        RETURN;
    END IF;
    v_slots := string_to_array(substr(v_touched, 2), ',');
    SELECT array_agg(current_setting('training_counts.s' || substr(s, 2), true)) INTO v_entries FROM unnest(v_slots) s;
    PERFORM set_config('training_counts.s' || substr(s, 2), '', true) FROM unnest(v_slots) s;
    PERFORM set_config('training_counts.touched', '', true), set_config('training_counts.used', '', true);

    -- Tenant by tenant, and each tenant's buckets table by table in key order, so writers lock them in the same
    -- order. Each statement names its tenant: on a database distributed by tenant (Citus) it then stays on the
    -- tenant's shard, which is the trigger's own node.
    FOR v_tenant IN SELECT DISTINCT split_part(x, '|', 2)::uuid FROM unnest(v_entries) x ORDER BY 1 LOOP
        IF strpos(v_touched, ',a') > 0 THEN
            WITH e AS (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x),
            up AS (
                INSERT INTO "training_assignment_counts" AS c ("tenant_id", "course_id", "status", "n")
                SELECT p[2]::uuid, p[3]::uuid, p[4], p[5]::bigint FROM e
                WHERE p[1] = 'a' AND p[2]::uuid = v_tenant AND p[5]::bigint <> 0
                ORDER BY 1, 2, 3
                ON CONFLICT ("tenant_id", "course_id", "status") DO UPDATE SET "n" = c."n" + EXCLUDED."n"
                RETURNING c."n")
            SELECT bool_or(n = 0) INTO v_emptied FROM up;
            IF v_emptied THEN
                DELETE FROM "training_assignment_counts" c
                USING (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x) e
                WHERE e.p[1] = 'a' AND c.tenant_id = v_tenant AND e.p[2]::uuid = v_tenant
                  AND c.course_id = e.p[3]::uuid AND c.status = e.p[4] AND c.n = 0;
            END IF;
        END IF;

        IF strpos(v_touched, ',d') > 0 THEN
            -- The emptied buckets' keys come back typed from the upsert: Citus refuses a DELETE whose condition
            -- applies a STABLE function (the text-to-date cast) to a column.
            WITH e AS (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x),
            up AS (
                INSERT INTO "training_assignment_due_counts" AS c ("tenant_id", "due_date", "course_id", "status", "n")
                SELECT p[2]::uuid, p[3]::date, p[4]::uuid, p[5], p[6]::bigint FROM e
                WHERE p[1] = 'd' AND p[2]::uuid = v_tenant AND p[6]::bigint <> 0
                ORDER BY 1, 2, 3, 4
                ON CONFLICT ("tenant_id", "due_date", "course_id", "status") DO UPDATE SET "n" = c."n" + EXCLUDED."n"
                RETURNING c."due_date", c."course_id", c."status", c."n")
            SELECT array_agg(up.due_date) FILTER (WHERE up.n = 0), array_agg(up.course_id) FILTER (WHERE up.n = 0),
                   array_agg(up.status) FILTER (WHERE up.n = 0)
            INTO v_dates, v_courses, v_statuses FROM up;
            IF v_dates IS NOT NULL THEN
                DELETE FROM "training_assignment_due_counts" c
                USING unnest(v_dates, v_courses, v_statuses) AS z(due_date, course_id, status)
                WHERE c.tenant_id = v_tenant AND c.due_date = z.due_date AND c.course_id = z.course_id
                  AND c.status = z.status AND c.n = 0;
            END IF;
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
                RETURNING k."passed_count")
            SELECT bool_or(passed_count = 0) INTO v_emptied FROM up;
            IF v_emptied THEN
                DELETE FROM "training_completion_counts" k
                USING (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x) e
                WHERE e.p[1] = 'c' AND k.tenant_id = v_tenant AND e.p[2]::uuid = v_tenant
                  AND k.course_id = e.p[3]::uuid AND k.passed_count = 0;
            END IF;
        END IF;
    END LOOP;
END $$;
