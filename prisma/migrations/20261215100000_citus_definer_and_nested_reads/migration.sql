-- Two forms a database distributed by tenant_id (Citus) needs, with the same results on one PostgreSQL.

-- The role is applied with set_config, which stays on the node that runs it; the other settings still with
-- SET LOCAL, which Citus sends on to every node of the transaction. Citus opens its connections to a node
-- as the current role, so the role needs no sending: a statement of the caller's reaches the shards as the
-- caller's role, and a statement of a SECURITY DEFINER function as the function's owner, with the
-- owner's rights. A sent SET LOCAL role would make the owner's connection switch to the caller's role,
-- which the owner may not ("permission denied to set role") and should not.
CREATE OR REPLACE FUNCTION "app_set_local"(VARIADIC p_settings TEXT[]) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(p_settings) % 2 <> 0 THEN
        RAISE EXCEPTION 'app_set_local takes pairs of a setting''s name and its value';
    END IF;
    FOR i IN 1 .. cardinality(p_settings) / 2 LOOP
        IF lower(p_settings[2 * i - 1]) = 'role' THEN
            PERFORM set_config('role', p_settings[2 * i], true);
        ELSE
            EXECUTE format('SET LOCAL %I TO %s', p_settings[2 * i - 1],
                           coalesce(quote_literal(p_settings[2 * i]), 'DEFAULT'));
        END IF;
    END LOOP;
END $$;

-- A tenant's figures read the effective counts in a statement of their own. In one statement with the
-- tenant's tables, Citus sends the statement whole to the tenant's shard, and the function's own reads
-- would be a distributed query run from a shard, which Citus refuses.
CREATE OR REPLACE FUNCTION "get_training_analytics"(p_tenant_id UUID, p_user_id UUID DEFAULT NULL)
RETURNS TABLE (
    total_courses BIGINT, total_assignments BIGINT, completed_count BIGINT,
    in_progress_count BIGINT, overdue_count BIGINT, completion_rate NUMERIC,
    avg_completion_time NUMERIC
) LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_total BIGINT;
    v_completed BIGINT;
    v_in_progress BIGINT;
    v_overdue BIGINT;
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
    SELECT coalesce(sum(e.n) FILTER (WHERE e.status <> 'cancelled'), 0)::bigint,
           coalesce(sum(e.n) FILTER (WHERE e.status = 'completed'), 0)::bigint,
           coalesce(sum(e.n) FILTER (WHERE e.status = 'in_progress'), 0)::bigint,
           coalesce(sum(e.n) FILTER (WHERE e.status = 'overdue'), 0)::bigint
    INTO v_total, v_completed, v_in_progress, v_overdue
    FROM "training_assignment_effective_counts"(p_tenant_id) e;
    RETURN QUERY
    WITH m AS (
        SELECT sum(k.minutes_sum) AS minutes, sum(k.minutes_count) AS n
        FROM "training_completion_counts" k WHERE k.tenant_id = p_tenant_id
    )
    SELECT (SELECT count(*) FROM "training_courses" c WHERE c.tenant_id = p_tenant_id),
           v_total, v_completed, v_in_progress, v_overdue,
           CASE WHEN v_total = 0 THEN 0 ELSE round(v_completed * 100.0 / v_total, 2) END,
           CASE WHEN coalesce(m.n, 0) = 0 THEN 0 ELSE round(m.minutes::numeric / m.n, 2) END
    FROM m;
END $$;
