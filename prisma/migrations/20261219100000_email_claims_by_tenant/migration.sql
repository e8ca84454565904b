-- E-mail claims in statements that each name one tenant, so a database distributed by tenant_id (Citus) runs them,
-- with the same behaviour on one PostgreSQL. Before, one statement walked the queue's tenants with a recursive CTE
-- and locked and updated rows of many tenants at once, which Citus refuses; and the finish named a row by its id
-- alone, which would look in every shard.

-- The tenants with e-mail due, the longest waiting first, and how many rows each has due: the claim's one read
-- across tenants (a distributed database answers it from every shard at once). It reads the queue's index only.
-- PL/pgSQL: a distributed database plans no SQL-language function's statement with parameters.
CREATE FUNCTION "notification_email_due_tenants"(p_limit INTEGER)
RETURNS TABLE (tenant_id UUID, waiting_since TIMESTAMPTZ, due BIGINT)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
        SELECT q.tenant_id, min(q.email_next_attempt_at), count(*) FILTER (WHERE q.email_next_attempt_at <= now())
        FROM "notifications" q
        WHERE q.email_status IN ('pending', 'sending')
        GROUP BY q.tenant_id
        HAVING min(q.email_next_attempt_at) <= now()
        ORDER BY 2, 1
        LIMIT greatest(p_limit, 1);
END
$$;

-- One claim, as before: it skips in bulk what needs no e-mail among each due tenant's oldest p_scan rows, then
-- claims at most p_per_tenant of each tenant's remaining rows and at most p_limit in all, shared in turns (every
-- tenant's first row, then every tenant's second, ...), and returns the claimed rows in that order, then the
-- skipped ones. Each tenant's rows are locked, skipped and claimed by one statement naming that tenant; the
-- shares are worked out first from the rows each tenant has due.
DROP FUNCTION "notification_emails_claim"(INTEGER, INTEGER, INTEGER, INTEGER);
CREATE FUNCTION "notification_emails_claim"(p_limit INTEGER, p_per_tenant INTEGER, p_scan INTEGER, p_lease_seconds INTEGER)
RETURNS TABLE (
    id UUID, tenant_id UUID, user_id UUID, kind TEXT, attempts INTEGER, assignment_id UUID,
    email TEXT, display_name TEXT, course_title TEXT, due_date DATE, expires_at DATE, skipped_because TEXT,
    locale TEXT, assignment_reason TEXT, tenant_name TEXT, logo_sha256 TEXT
) LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  -- Each tenant's statement names the tenant by a variable: planned per call, so a distributed database can
  -- tell the tenant's shard from it.
  SET search_path = public, pg_temp SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
DECLARE
    v_total INTEGER := least(greatest(p_limit, 1), 500);
    v_per_tenant INTEGER := least(greatest(p_per_tenant, 1), 500);
    v_scan INTEGER := least(greatest(p_scan, p_per_tenant, 1), 5000);
    v_share RECORD;
    v_part JSONB;
    v_rows JSONB := '[]';
BEGIN
    FOR v_share IN
        WITH due AS (
            SELECT d.tenant_id, d.due, row_number() OVER (ORDER BY d.waiting_since, d.tenant_id) AS place
            FROM "notification_email_due_tenants"(v_total) d
        ), turns AS (
            SELECT due.tenant_id, due.place
            FROM due CROSS JOIN LATERAL generate_series(1, least(due.due, v_per_tenant)::INTEGER) AS turn
            ORDER BY turn, due.place
            LIMIT v_total
        )
        SELECT due.tenant_id, due.place, count(turns.place)::INTEGER AS share
        FROM due LEFT JOIN turns ON turns.place = due.place
        GROUP BY due.tenant_id, due.place
        ORDER BY due.place
    LOOP
        WITH examined AS (
            SELECT n.id, n.user_id, n.kind, n.email_next_attempt_at AS due_at,
                   CASE WHEN p.email IS NULL OR btrim(p.email) = '' THEN 'no e-mail address'
                        WHEN NOT "email_address_acceptable"(p.email) THEN 'invalid e-mail address'
                        WHEN n.kind = ANY (np.email_opt_out) THEN 'opted out'
                        WHEN n.kind IN ('assignment_created', 'due_soon', 'overdue', 'recertification_assigned')
                             AND a.status = 'cancelled' THEN 'assignment cancelled'
                        WHEN n.kind IN ('assignment_created', 'due_soon', 'overdue', 'recertification_assigned')
                             AND a.status = 'completed' THEN 'assignment already completed' END AS skipped_because
            FROM (
                SELECT d.id, d.user_id, d.kind, d.assignment_id, d.email_next_attempt_at FROM "notifications" d
                WHERE d.tenant_id = v_share.tenant_id AND d.email_status IN ('pending', 'sending')
                  AND d.email_next_attempt_at <= now()
                ORDER BY d.email_next_attempt_at LIMIT v_scan
                FOR UPDATE SKIP LOCKED
            ) n
            LEFT JOIN "profiles" p ON p.tenant_id = v_share.tenant_id AND p.id = n.user_id
            LEFT JOIN "notification_preferences" np ON np.tenant_id = v_share.tenant_id AND np.user_id = n.user_id
            LEFT JOIN "training_assignments" a ON a.tenant_id = v_share.tenant_id AND a.id = n.assignment_id
        ), chosen AS (
            SELECT e.id, row_number() OVER (ORDER BY e.due_at, e.id) AS turn
            FROM examined e WHERE e.skipped_because IS NULL
            ORDER BY e.due_at, e.id LIMIT v_share.share
        ), skipped AS (
            UPDATE "notifications" n SET email_status = 'skipped', email_last_error = e.skipped_because
            FROM examined e
            WHERE n.tenant_id = v_share.tenant_id AND n.id = e.id AND e.skipped_because IS NOT NULL
            RETURNING n.id, n.user_id, n.kind, n.email_attempts, n.assignment_id, e.skipped_because
        ), claimed AS (
            UPDATE "notifications" n
            SET email_status = 'sending', email_attempts = n.email_attempts + 1,
                email_next_attempt_at = now() + make_interval(secs => greatest(p_lease_seconds, 1))
            FROM chosen WHERE n.tenant_id = v_share.tenant_id AND n.id = chosen.id
            RETURNING n.id, n.user_id, n.kind, n.email_attempts, n.assignment_id, n.completion_id, chosen.turn
        )
        -- COALESCE outside the statement: a distributed database allows no STABLE function (jsonb_agg) in a
        -- COALESCE of a statement that writes.
        SELECT jsonb_agg(r) INTO v_part FROM (
            SELECT c.id, v_share.tenant_id AS tenant_id, c.user_id, c.kind, c.email_attempts AS attempts,
                   c.assignment_id, p.email, p.display_name, co.title AS course_title, a.due_date, tc.expires_at,
                   NULL::TEXT AS skipped_because, p.locale, a.assignment_reason, ts.name AS tenant_name,
                   ts.logo_sha256, 0 AS part, c.turn, v_share.place AS place
            FROM claimed c
            LEFT JOIN "profiles" p ON p.tenant_id = v_share.tenant_id AND p.id = c.user_id
            LEFT JOIN "training_assignments" a ON a.tenant_id = v_share.tenant_id AND a.id = c.assignment_id
            LEFT JOIN "training_completions" tc ON tc.tenant_id = v_share.tenant_id AND tc.id = c.completion_id
            LEFT JOIN "training_courses" co
                   ON co.tenant_id = v_share.tenant_id AND co.id = COALESCE(a.course_id, tc.course_id)
            LEFT JOIN "tenant_settings" ts ON ts.tenant_id = v_share.tenant_id
            UNION ALL
            SELECT s.id, v_share.tenant_id, s.user_id, s.kind, s.email_attempts, s.assignment_id,
                   NULL, NULL, NULL, NULL, NULL, s.skipped_because, NULL, NULL, NULL, NULL, 1, NULL, v_share.place
            FROM skipped s
        ) r;
        v_rows := v_rows || coalesce(v_part, '[]');
    END LOOP;
    RETURN QUERY
        SELECT r.id, r.tenant_id, r.user_id, r.kind, r.attempts, r.assignment_id, r.email, r.display_name,
               r.course_title, r.due_date, r.expires_at, r.skipped_because, r.locale, r.assignment_reason,
               r.tenant_name, r.logo_sha256
        FROM jsonb_to_recordset(v_rows) AS r(
            id UUID, tenant_id UUID, user_id UUID, kind TEXT, attempts INTEGER, assignment_id UUID, email TEXT,
            display_name TEXT, course_title TEXT, due_date DATE, expires_at DATE, skipped_because TEXT, locale TEXT,
            assignment_reason TEXT, tenant_name TEXT, logo_sha256 TEXT, part INTEGER, turn BIGINT, place BIGINT)
        ORDER BY r.part, r.turn, r.place, r.id;
END
$$;

-- The outcome of a claimed e-mail, recorded for the row of the tenant it belongs to. The time it was sent is
-- worked out before the statement: a distributed database allows no STABLE function (now()) in a CASE of an UPDATE.
DROP FUNCTION "notification_email_finish"(UUID, TEXT, TEXT, TIMESTAMPTZ);
CREATE FUNCTION "notification_email_finish"(p_tenant_id UUID, p_id UUID, p_status TEXT, p_error TEXT, p_retry_at TIMESTAMPTZ)
RETURNS BOOLEAN LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_sent_at TIMESTAMPTZ := CASE WHEN p_status = 'sent' THEN now() END;
BEGIN
    UPDATE "notifications"
    SET email_status = p_status,
        email_sent_at = v_sent_at,
        email_last_error = left(p_error, 1000),
        email_next_attempt_at = COALESCE(p_retry_at, email_next_attempt_at)
    WHERE tenant_id = p_tenant_id AND id = p_id AND email_status = 'sending'
      AND p_status IN ('pending', 'sent', 'failed', 'skipped');
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION "notification_email_due_tenants"(INTEGER) FROM PUBLIC;
REVOKE ALL ON FUNCTION "notification_emails_claim"(INTEGER, INTEGER, INTEGER, INTEGER) FROM PUBLIC;
REVOKE ALL ON FUNCTION "notification_email_finish"(UUID, UUID, TEXT, TEXT, TIMESTAMPTZ) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "notification_emails_claim"(INTEGER, INTEGER, INTEGER, INTEGER) TO "training_app";
GRANT EXECUTE ON FUNCTION "notification_email_finish"(UUID, UUID, TEXT, TEXT, TIMESTAMPTZ) TO "training_app";
GRANT CREATE ON SCHEMA public TO "training_mailer";
ALTER FUNCTION "notification_email_due_tenants"(INTEGER) OWNER TO "training_mailer";
ALTER FUNCTION "notification_emails_claim"(INTEGER, INTEGER, INTEGER, INTEGER) OWNER TO "training_mailer";
ALTER FUNCTION "notification_email_finish"(UUID, UUID, TEXT, TEXT, TIMESTAMPTZ) OWNER TO "training_mailer";
REVOKE CREATE ON SCHEMA public FROM "training_mailer";
