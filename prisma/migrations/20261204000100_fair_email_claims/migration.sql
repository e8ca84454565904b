-- E-mail addresses and fair delivery.
--
-- 1. One address rule wherever an address enters. The API checks addresses with a real
--    parser and a strict rule (src/core/validate.ts, emailAddressProblem); writers of the
--    table itself (integrations writing "profiles" directly) meet this SQL form of it, which
--    refuses at least everything the API's rule refuses to store: more than one address,
--    display names, CR/LF and other controls, whitespace, commas, semicolons, angle
--    brackets, quotes, parentheses, more than 254 characters, a domain without a dot (other
--    than localhost). Rows already stored are left alone (an update that keeps the email
--    passes); the deliverer never sends to an address that fails the rule.
CREATE FUNCTION "email_address_acceptable"(p_address TEXT) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT length(p_address) <= 254
       AND p_address !~ '[[:space:][:cntrl:],;<>()"\[\]\\]'
       AND p_address ~ '^[^@]+@[^@]+$'
       AND split_part(p_address, '@', 2) !~ '^[.-]|[.-]$|\.\.'
       AND (split_part(p_address, '@', 2) ~ '\.' OR lower(split_part(p_address, '@', 2)) = 'localhost')
$$;

CREATE FUNCTION "profiles_check_email"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.email IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.email IS DISTINCT FROM OLD.email)
       AND NOT "email_address_acceptable"(NEW.email) THEN
        RAISE EXCEPTION 'profiles.email must be one e-mail address: local@domain, at most 254 characters, no display name, spaces, commas, semicolons, angle brackets or line breaks'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER "profiles_check_email" BEFORE INSERT OR UPDATE OF "email" ON "profiles"
    FOR EACH ROW EXECUTE FUNCTION "profiles_check_email"();

-- 2. Claims fair between tenants. The claim used to take the oldest due rows of all tenants
--    together, so one tenant's backlog (a bulk run notifying thousands) delayed every other
--    tenant's mail until it was worked through, and rows that need no e-mail (no address,
--    opted out) were claimed, one transaction each, only to be skipped. Now one claim:
--      * finds the tenants with due rows (a skip scan of the per-tenant queue index, one
--        index probe per tenant, however long any tenant's queue) and takes at most p_limit
--        of them, those whose oldest due row has waited longest first;
--      * looks at each one's oldest p_scan due rows (locked FOR UPDATE SKIP LOCKED, as
--        before: instances split the rows and none is claimed twice) and marks those that
--        need no e-mail 'skipped' in bulk, with the reason, so they never take a place;
--      * claims at most p_per_tenant of each tenant's remaining rows, at most p_limit in
--        all, in turns (every tenant's first row, then every tenant's second, ...), marked
--        'sending' with a lease, in that order;
--    and returns the claimed rows (what the message needs), then the skipped ones (with
--    skipped_because set). Everything is bounded by the arguments, not by the queue.
DROP INDEX "notifications_email_queue";
CREATE INDEX "notifications_email_queue_by_tenant"
    ON "notifications" ("tenant_id", "email_next_attempt_at") WHERE "email_status" IN ('pending', 'sending');

DROP FUNCTION "notification_emails_claim"(INTEGER, INTEGER);
CREATE FUNCTION "notification_emails_claim"(p_limit INTEGER, p_per_tenant INTEGER, p_scan INTEGER, p_lease_seconds INTEGER)
RETURNS TABLE (
    id UUID, tenant_id UUID, user_id UUID, kind TEXT, attempts INTEGER, assignment_id UUID,
    email TEXT, display_name TEXT, course_title TEXT, due_date DATE, expires_at DATE, skipped_because TEXT
) LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH RECURSIVE bounds AS (
        SELECT least(greatest(p_limit, 1), 500) AS total,
               least(greatest(p_per_tenant, 1), 500) AS per_tenant,
               least(greatest(p_scan, p_per_tenant, 1), 5000) AS scan
    ), queued(tenant_id) AS (
        (SELECT q.tenant_id FROM "notifications" q WHERE q.email_status IN ('pending', 'sending')
         ORDER BY q.tenant_id LIMIT 1)
        UNION ALL
        SELECT (SELECT q.tenant_id FROM "notifications" q
                WHERE q.email_status IN ('pending', 'sending') AND q.tenant_id > queued.tenant_id
                ORDER BY q.tenant_id LIMIT 1)
        FROM queued WHERE queued.tenant_id IS NOT NULL
    ), due_tenants AS (
        SELECT queued.tenant_id, oldest.waiting_since
        FROM queued
        CROSS JOIN LATERAL (
            SELECT q.email_next_attempt_at AS waiting_since FROM "notifications" q
            WHERE q.tenant_id = queued.tenant_id AND q.email_status IN ('pending', 'sending')
            ORDER BY q.email_next_attempt_at LIMIT 1
        ) oldest
        WHERE queued.tenant_id IS NOT NULL AND oldest.waiting_since <= now()
        ORDER BY oldest.waiting_since, queued.tenant_id
        LIMIT (SELECT total FROM bounds)
    ), examined AS (
        SELECT n.id, n.tenant_id, n.user_id, n.kind, n.email_next_attempt_at AS due_at, t.waiting_since,
               CASE WHEN p.email IS NULL OR btrim(p.email) = '' THEN 'no e-mail address'
                    WHEN NOT "email_address_acceptable"(p.email) THEN 'invalid e-mail address'
                    WHEN n.kind = ANY (np.email_opt_out) THEN 'opted out' END AS skipped_because
        FROM due_tenants t
        CROSS JOIN LATERAL (
            SELECT d.id, d.tenant_id, d.user_id, d.kind, d.email_next_attempt_at FROM "notifications" d
            WHERE d.tenant_id = t.tenant_id AND d.email_status IN ('pending', 'sending')
              AND d.email_next_attempt_at <= now()
            ORDER BY d.email_next_attempt_at LIMIT (SELECT scan FROM bounds)
            FOR UPDATE SKIP LOCKED
        ) n
        LEFT JOIN "profiles" p ON p.tenant_id = n.tenant_id AND p.id = n.user_id
        LEFT JOIN "notification_preferences" np ON np.tenant_id = n.tenant_id AND np.user_id = n.user_id
    ), turns AS (
        SELECT e.id, e.waiting_since, e.tenant_id,
               row_number() OVER (PARTITION BY e.tenant_id ORDER BY e.due_at, e.id) AS turn
        FROM examined e WHERE e.skipped_because IS NULL
    ), chosen AS (
        SELECT turns.id, turns.turn, turns.waiting_since, turns.tenant_id FROM turns
        WHERE turns.turn <= (SELECT per_tenant FROM bounds)
        ORDER BY turns.turn, turns.waiting_since, turns.tenant_id
        LIMIT (SELECT total FROM bounds)
    ), skipped AS (
        UPDATE "notifications" n SET email_status = 'skipped', email_last_error = e.skipped_because
        FROM examined e WHERE n.id = e.id AND e.skipped_because IS NOT NULL
        RETURNING n.id, n.tenant_id, n.user_id, n.kind, n.email_attempts, n.assignment_id, e.skipped_because
    ), claimed AS (
        UPDATE "notifications" n
        SET email_status = 'sending', email_attempts = n.email_attempts + 1,
            email_next_attempt_at = now() + make_interval(secs => greatest(p_lease_seconds, 1))
        FROM chosen WHERE n.id = chosen.id
        RETURNING n.id, n.tenant_id, n.user_id, n.kind, n.email_attempts, n.assignment_id, n.completion_id,
                  chosen.turn, chosen.waiting_since
    )
    SELECT r.id, r.tenant_id, r.user_id, r.kind, r.attempts, r.assignment_id, r.email, r.display_name,
           r.course_title, r.due_date, r.expires_at, r.skipped_because
    FROM (
        SELECT c.id, c.tenant_id, c.user_id, c.kind, c.email_attempts AS attempts, c.assignment_id,
               p.email, p.display_name, co.title AS course_title, a.due_date, tc.expires_at,
               NULL::text AS skipped_because, 0 AS part, c.turn, c.waiting_since, c.tenant_id AS tie
        FROM claimed c
        LEFT JOIN "profiles" p ON p.tenant_id = c.tenant_id AND p.id = c.user_id
        LEFT JOIN "training_assignments" a ON a.tenant_id = c.tenant_id AND a.id = c.assignment_id
        LEFT JOIN "training_completions" tc ON tc.tenant_id = c.tenant_id AND tc.id = c.completion_id
        LEFT JOIN "training_courses" co ON co.tenant_id = c.tenant_id AND co.id = COALESCE(a.course_id, tc.course_id)
        UNION ALL
        SELECT s.id, s.tenant_id, s.user_id, s.kind, s.email_attempts, s.assignment_id,
               NULL, NULL, NULL, NULL, NULL, s.skipped_because, 1, NULL, NULL, NULL
        FROM skipped s
    ) r
    ORDER BY r.part, r.turn, r.waiting_since, r.tie
$$;

REVOKE ALL ON FUNCTION "notification_emails_claim"(INTEGER, INTEGER, INTEGER, INTEGER) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "notification_emails_claim"(INTEGER, INTEGER, INTEGER, INTEGER) TO "training_app";
GRANT CREATE ON SCHEMA public TO "training_mailer";
ALTER FUNCTION "notification_emails_claim"(INTEGER, INTEGER, INTEGER, INTEGER) OWNER TO "training_mailer";
REVOKE CREATE ON SCHEMA public FROM "training_mailer";
