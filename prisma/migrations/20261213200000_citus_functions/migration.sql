-- Forms a database distributed by tenant_id (Citus) runs, with the same behaviour on one PostgreSQL.

-- The caller's settings as SET LOCAL statements: a distributed database sends a transaction's SET LOCAL
-- statements on to every node that takes part in it (Citus with citus.propagate_set_commands = 'local'),
-- never a set_config(…, true). One call applies them all, so a transaction still begins with one statement;
-- each SET runs on its own, as the distributed database propagates the text of each. Pairs of a name and a
-- value (a NULL value sets the default); the values are quoted as literals, whatever they hold.
CREATE FUNCTION "app_set_local"(VARIADIC p_settings TEXT[]) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(p_settings) % 2 <> 0 THEN
        RAISE EXCEPTION 'app_set_local takes pairs of a setting''s name and its value';
    END IF;
    FOR i IN 1 .. cardinality(p_settings) / 2 LOOP
        EXECUTE format('SET LOCAL %I TO %s', p_settings[2 * i - 1], coalesce(quote_literal(p_settings[2 * i]), 'DEFAULT'));
    END LOOP;
END $$;

-- The overdue sweep locks one tenant's rows per statement (a distributed database runs a FOR UPDATE on one
-- shard only): the caller's tenant, or for a run without a caller (the owner's) each tenant with rows to
-- sweep in turn. Rows are still locked and updated in (tenant, course, id) order.
CREATE OR REPLACE FUNCTION "mark_overdue_training_assignments"() RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    v_tenants UUID[];
    v_tenant UUID;
    v_row RECORD;
    v_swept BIGINT := 0;
BEGIN
    IF "app_tenant_id"() IS NOT NULL THEN
        v_tenants := ARRAY["app_tenant_id"()];
    ELSE
        v_tenants := ARRAY(
            SELECT DISTINCT a."tenant_id" FROM "training_assignments" a
            WHERE a."status" IN ('assigned', 'in_progress') AND a."due_date" < "training_today"()
            ORDER BY a."tenant_id");
    END IF;
    FOREACH v_tenant IN ARRAY v_tenants LOOP
        FOR v_row IN
            SELECT a."id" FROM "training_assignments" a
            WHERE a."tenant_id" = v_tenant AND a."status" IN ('assigned', 'in_progress')
              AND a."due_date" < "training_today"()
            ORDER BY a."course_id", a."id"
            FOR UPDATE
        LOOP
            UPDATE "training_assignments" a SET "status" = 'overdue'
            WHERE a."tenant_id" = v_tenant AND a."id" = v_row."id"
              AND a."status" IN ('assigned', 'in_progress') AND a."due_date" < "training_today"();
            IF FOUND THEN
                v_swept := v_swept + 1;
            END IF;
        END LOOP;
    END LOOP;
    RETURN v_swept;
END $$;

-- PL/pgSQL instead of SQL for the functions that read or write tenant tables with their arguments: a
-- distributed database runs no parameterized query of an SQL function on its distributed tables. Same
-- results, attributes and privileges (CREATE OR REPLACE keeps the grants).

CREATE OR REPLACE FUNCTION "get_user_training_assignments"(p_tenant_id uuid, p_user_id uuid, p_status text DEFAULT NULL::text)
 RETURNS TABLE(id uuid, tenant_id uuid, course_id uuid, user_id uuid, assigned_by uuid, assignment_type text, assignment_reason text, due_date date, status text, assigned_at timestamp with time zone, started_at timestamp with time zone, completed_at timestamp with time zone, course_title text, course_category text, course_duration_minutes integer)
 LANGUAGE plpgsql
 STABLE
AS $function$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT a.id, a.tenant_id, a.course_id, a.user_id, a.assigned_by,
               a.assignment_type, a.assignment_reason, a.due_date,
               "training_effective_status"(a.status, a.due_date),
               a.assigned_at, a.started_at, a.completed_at,
               c.title, c.category, c.duration_minutes
        FROM "training_assignments" a
        JOIN "training_courses" c ON c.tenant_id = a.tenant_id AND c.id = a.course_id
        WHERE a.tenant_id = p_tenant_id
          AND a.user_id = p_user_id
          AND (p_status IS NULL OR "training_effective_status"(a.status, a.due_date) = p_status)
        ORDER BY a.due_date NULLS LAST, a.assigned_at DESC;
END
$function$;

CREATE OR REPLACE FUNCTION "lrs_authenticate"(p_id uuid, p_secret_hash bytea)
 RETURNS TABLE(tenant_id uuid, name text, actor jsonb, registration uuid)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT c.tenant_id, c.name, NULL::jsonb, NULL::uuid FROM "lrs_credentials" c
        WHERE c.id = p_id AND c.secret_hash = p_secret_hash AND c.revoked_at IS NULL
        UNION ALL
        SELECT t.tenant_id, 'cmi5 launch', t.actor, t.registration FROM "xapi_launch_tokens" t
        WHERE t.id = p_id AND t.auth_hash = p_secret_hash AND t.expires_at > now();
END
$function$;

CREATE OR REPLACE FUNCTION "notification_email_finish"(p_id uuid, p_status text, p_error text, p_retry_at timestamp with time zone)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
    UPDATE "notifications"
    SET email_status = p_status,
        email_sent_at = CASE WHEN p_status = 'sent' THEN now() END,
        email_last_error = left(p_error, 1000),
        email_next_attempt_at = COALESCE(p_retry_at, email_next_attempt_at)
    WHERE id = p_id AND email_status = 'sending' AND p_status IN ('pending', 'sent', 'failed', 'skipped');
    RETURN FOUND;
END
$function$;

CREATE OR REPLACE FUNCTION "notification_emails_claim"(p_limit integer, p_per_tenant integer, p_scan integer, p_lease_seconds integer)
 RETURNS TABLE(id uuid, tenant_id uuid, user_id uuid, kind text, attempts integer, assignment_id uuid, email text, display_name text, course_title text, due_date date, expires_at date, skipped_because text, locale text, assignment_reason text, tenant_name text, logo_sha256 text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
BEGIN
    RETURN QUERY
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
                        WHEN n.kind = ANY (np.email_opt_out) THEN 'opted out'
                        WHEN n.kind IN ('assignment_created', 'due_soon', 'overdue', 'recertification_assigned')
                             AND a.status = 'cancelled' THEN 'assignment cancelled'
                        WHEN n.kind IN ('assignment_created', 'due_soon', 'overdue', 'recertification_assigned')
                             AND a.status = 'completed' THEN 'assignment already completed' END AS skipped_because
            FROM due_tenants t
            CROSS JOIN LATERAL (
                SELECT d.id, d.tenant_id, d.user_id, d.kind, d.assignment_id, d.email_next_attempt_at FROM "notifications" d
                WHERE d.tenant_id = t.tenant_id AND d.email_status IN ('pending', 'sending')
                  AND d.email_next_attempt_at <= now()
                ORDER BY d.email_next_attempt_at LIMIT (SELECT scan FROM bounds)
                FOR UPDATE SKIP LOCKED
            ) n
            LEFT JOIN "profiles" p ON p.tenant_id = n.tenant_id AND p.id = n.user_id
            LEFT JOIN "notification_preferences" np ON np.tenant_id = n.tenant_id AND np.user_id = n.user_id
            LEFT JOIN "training_assignments" a ON a.tenant_id = n.tenant_id AND a.id = n.assignment_id
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
               r.course_title, r.due_date, r.expires_at, r.skipped_because,
               r.locale, r.assignment_reason, r.tenant_name, r.logo_sha256
        FROM (
            SELECT c.id, c.tenant_id, c.user_id, c.kind, c.email_attempts AS attempts, c.assignment_id,
                   p.email, p.display_name, co.title AS course_title, a.due_date, tc.expires_at,
                   NULL::text AS skipped_because, p.locale, a.assignment_reason, ts.name AS tenant_name, ts.logo_sha256,
                   0 AS part, c.turn, c.waiting_since, c.tenant_id AS tie
            FROM claimed c
            LEFT JOIN "profiles" p ON p.tenant_id = c.tenant_id AND p.id = c.user_id
            LEFT JOIN "training_assignments" a ON a.tenant_id = c.tenant_id AND a.id = c.assignment_id
            LEFT JOIN "training_completions" tc ON tc.tenant_id = c.tenant_id AND tc.id = c.completion_id
            LEFT JOIN "training_courses" co ON co.tenant_id = c.tenant_id AND co.id = COALESCE(a.course_id, tc.course_id)
            LEFT JOIN "tenant_settings" ts ON ts.tenant_id = c.tenant_id
            UNION ALL
            SELECT s.id, s.tenant_id, s.user_id, s.kind, s.email_attempts, s.assignment_id,
                   NULL, NULL, NULL, NULL, NULL, s.skipped_because, NULL, NULL, NULL, NULL, 1, NULL, NULL, NULL
            FROM skipped s
        ) r
        ORDER BY r.part, r.turn, r.waiting_since, r.tie;
END
$function$;

CREATE OR REPLACE FUNCTION "quiz_attempt_open_for_caller"(p_tenant_id uuid, p_attempt_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
BEGIN
    RETURN (
        SELECT EXISTS (SELECT 1 FROM "quiz_attempts" a
                       WHERE a.tenant_id = p_tenant_id AND a.id = p_attempt_id AND a.user_id = "app_user_id"()
                         AND a.status = 'in_progress' AND (a.deadline IS NULL OR a.deadline > now())));
END
$function$;

CREATE OR REPLACE FUNCTION "quiz_attempt_review"(p_attempt_ids uuid[])
 RETURNS TABLE(attempt_id uuid, question_id uuid, credit double precision, correct jsonb, accepted_answers text[], tolerance double precision, feedback text[])
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        WITH closed AS (
            SELECT a.id, a.tenant_id, a.assignment_id, a.status, a.pass_mark, a.passed, a.user_id, qz.review
            FROM "quiz_attempts" a
            JOIN "course_quizzes" qz ON qz.tenant_id = a.tenant_id AND qz.course_id = a.course_id
            WHERE a.tenant_id = "app_tenant_id"() AND a.id = ANY (p_attempt_ids)
              AND (a.status = 'submitted' OR a.deadline <= now())
              AND (a.user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer'))
        ), scores AS (
            SELECT * FROM "quiz_attempt_scores"(ARRAY(SELECT id FROM closed WHERE status = 'in_progress'))
        ), shown AS (
            SELECT c.id FROM closed c LEFT JOIN scores s ON s.attempt_id = c.id
            WHERE "app_role"() IN ('admin', 'safety_officer') OR c.review = 'answers'
               OR (c.review = 'answers_after_pass'
                   AND (coalesce(c.passed, s.score >= c.pass_mark)
                        OR EXISTS (SELECT 1 FROM "quiz_attempts" o
                                   WHERE o.tenant_id = c.tenant_id AND o.assignment_id = c.assignment_id AND o.passed)))
        )
        SELECT aq.attempt_id, aq.question_id, cr.credit,
               CASE
                   WHEN aq.kind IN ('single_choice', 'true_false') THEN jsonb_build_object('choiceIds',
                       (SELECT coalesce(jsonb_agg(ch.id ORDER BY ch.position), '[]') FROM "quiz_choices" ch
                        WHERE ch.tenant_id = aq.tenant_id AND ch.question_id = aq.question_id AND ch.credit > 0
                          AND ch.credit = (SELECT max(m.credit) FROM "quiz_choices" m
                                           WHERE m.tenant_id = aq.tenant_id AND m.question_id = aq.question_id)))
                   WHEN aq.kind = 'multiple_choice' THEN jsonb_build_object('choiceIds',
                       (SELECT coalesce(jsonb_agg(ch.id ORDER BY ch.position), '[]') FROM "quiz_choices" ch
                        WHERE ch.tenant_id = aq.tenant_id AND ch.question_id = aq.question_id AND ch.credit > 0))
                   WHEN aq.kind = 'numeric' THEN jsonb_build_object('number', q.numeric_answer)
                   WHEN aq.kind = 'short_answer' THEN jsonb_build_object('text', q.accepted_answers[1])
                   WHEN aq.kind = 'matching' THEN jsonb_build_object('matches',
                       (SELECT coalesce(jsonb_agg(jsonb_build_object('itemId', item.value ->> 'id', 'choiceId', opt.value ->> 'id')
                                                  ORDER BY item.place), '[]')
                        FROM jsonb_array_elements(aq.items) WITH ORDINALITY AS item(value, place)
                        JOIN "quiz_choices" ch ON ch.tenant_id = aq.tenant_id AND ch.id::text = item.value ->> 'id'
                        JOIN jsonb_array_elements(aq.choices) AS opt(value) ON opt.value ->> 'text' = ch.match_text))
                   WHEN aq.kind = 'ordering' THEN jsonb_build_object('order',
                       (SELECT coalesce(jsonb_agg(opt.value ->> 'id' ORDER BY ch.position NULLS LAST, opt.place), '[]')
                        FROM jsonb_array_elements(aq.choices) WITH ORDINALITY AS opt(value, place)
                        LEFT JOIN "quiz_choices" ch ON ch.tenant_id = aq.tenant_id AND ch.id::text = opt.value ->> 'id'))
               END,
               CASE WHEN aq.kind = 'short_answer' THEN q.accepted_answers ELSE '{}' END,
               CASE WHEN aq.kind = 'numeric' THEN coalesce(q.tolerance, 0) END,
               ARRAY(SELECT f.text FROM (
                         SELECT ch.feedback AS text, array_position(an.choice_ids, ch.id) AS place FROM "quiz_choices" ch
                         WHERE ch.tenant_id = aq.tenant_id AND ch.question_id = aq.question_id
                           AND ch.id = ANY (an.choice_ids) AND ch.feedback IS NOT NULL
                         UNION ALL SELECT q.general_feedback, 2147483647 WHERE q.general_feedback IS NOT NULL) f
                     ORDER BY f.place)
        FROM "quiz_attempt_questions" aq
        JOIN shown ON shown.id = aq.attempt_id
        JOIN "quiz_questions" q ON q.tenant_id = aq.tenant_id AND q.id = aq.question_id
        JOIN "quiz_question_credits"(ARRAY(SELECT id FROM shown)) cr
          ON cr.attempt_id = aq.attempt_id AND cr.question_id = aq.question_id
        LEFT JOIN "quiz_answers" an
               ON an.tenant_id = aq.tenant_id AND an.attempt_id = aq.attempt_id AND an.question_id = aq.question_id
        ORDER BY aq.attempt_id, aq.position;
END
$function$;

CREATE OR REPLACE FUNCTION "quiz_attempt_scores"(p_attempt_ids uuid[])
 RETURNS TABLE(attempt_id uuid, score double precision)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT t.id, coalesce(round((100 * sum(c.points * c.credit) / nullif(sum(c.points), 0))::numeric, 2), 0)::float8
        FROM unnest(p_attempt_ids) AS t(id)
        LEFT JOIN "quiz_question_credits"(p_attempt_ids) c ON c.attempt_id = t.id
        GROUP BY t.id;
END
$function$;

CREATE OR REPLACE FUNCTION "quiz_expired_scores"(p_attempt_ids uuid[])
 RETURNS TABLE(attempt_id uuid, score double precision, passed boolean)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT s.attempt_id, s.score, s.score >= a.pass_mark
        FROM "quiz_attempt_scores"(ARRAY(
                 SELECT a.id FROM "quiz_attempts" a
                 WHERE a.tenant_id = "app_tenant_id"() AND a.id = ANY (p_attempt_ids) AND a.status = 'in_progress'
                   AND a.deadline <= now()
                   AND (a.user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer', 'service')))) s
        JOIN "quiz_attempts" a ON a.id = s.attempt_id;
END
$function$;

CREATE OR REPLACE FUNCTION "quiz_question_credits"(p_attempt_ids uuid[])
 RETURNS TABLE(attempt_id uuid, question_id uuid, points double precision, answered boolean, credit double precision)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT aq.attempt_id, aq.question_id, aq.points, an.id IS NOT NULL,
               coalesce(CASE
                   WHEN aq.kind IN ('single_choice', 'true_false') THEN
                       (SELECT greatest(least(c.credit, 100), 0) / 100 FROM "quiz_choices" c
                        WHERE c.tenant_id = aq.tenant_id AND c.question_id = aq.question_id
                          AND cardinality(an.choice_ids) = 1 AND c.id = an.choice_ids[1])
                   WHEN aq.kind = 'multiple_choice' THEN
                       (SELECT greatest(least(coalesce(sum(c.credit), 0), 100), 0) / 100 FROM "quiz_choices" c
                        WHERE c.tenant_id = aq.tenant_id AND c.question_id = aq.question_id AND c.id = ANY (an.choice_ids))
                   WHEN aq.kind = 'numeric' THEN
                       (SELECT CASE WHEN abs(an.number - q.numeric_answer) <= coalesce(q.tolerance, 0) THEN 1 ELSE 0 END
                        FROM "quiz_questions" q WHERE q.tenant_id = aq.tenant_id AND q.id = aq.question_id)
                   WHEN aq.kind = 'short_answer' THEN
                       (SELECT CASE WHEN EXISTS (SELECT 1 FROM unnest(q.accepted_answers) AS accepted(text)
                                                 WHERE "quiz_normalized_text"(accepted.text) = "quiz_normalized_text"(an.text))
                                    THEN 1 ELSE 0 END
                        FROM "quiz_questions" q WHERE q.tenant_id = aq.tenant_id AND q.id = aq.question_id)
                   WHEN aq.kind = 'matching' THEN
                       (SELECT count(*) FILTER (WHERE shown.option ->> 'text' = c.match_text)::float8
                               / nullif(jsonb_array_length(aq.items), 0)
                        FROM jsonb_array_elements(an.matches) AS given(match)
                        JOIN "quiz_choices" c ON c.tenant_id = aq.tenant_id AND c.question_id = aq.question_id
                                             AND c.id::text = given.match ->> 'itemId'
                        JOIN jsonb_array_elements(aq.choices) AS shown(option)
                          ON shown.option ->> 'id' = given.match ->> 'choiceId')
                   WHEN aq.kind = 'ordering' THEN
                       (SELECT count(*) FILTER (WHERE given.id = expected.id)::float8 / nullif(jsonb_array_length(aq.choices), 0)
                        FROM unnest(an.ordering) WITH ORDINALITY AS given(id, place)
                        JOIN (SELECT shown.id, row_number() OVER (ORDER BY c.position NULLS LAST, shown.place) AS place
                              FROM (SELECT (option ->> 'id')::uuid AS id, place
                                    FROM jsonb_array_elements(aq.choices) WITH ORDINALITY AS o(option, place)) shown
                              LEFT JOIN "quiz_choices" c ON c.tenant_id = aq.tenant_id AND c.question_id = aq.question_id
                                                        AND c.id = shown.id) expected
                          ON expected.place = given.place)
               END, 0)
        FROM "quiz_attempt_questions" aq
        LEFT JOIN "quiz_answers" an
               ON an.tenant_id = aq.tenant_id AND an.attempt_id = aq.attempt_id AND an.question_id = aq.question_id
        WHERE aq.attempt_id = ANY (p_attempt_ids);
END
$function$;

CREATE OR REPLACE FUNCTION "scheduled_job_tenants"(p_job text)
 RETURNS SETOF uuid
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT DISTINCT c.tenant_id FROM "training_courses" c
        WHERE p_job = 'auto_assign' AND c.auto_assign_enabled AND c.risk_threshold IS NOT NULL
        UNION
        SELECT DISTINCT a.tenant_id FROM "training_assignments" a
        WHERE p_job = 'overdue_sweep' AND a.status IN ('assigned', 'in_progress') AND a.due_date < "training_today"()
        UNION
        SELECT DISTINCT a.tenant_id FROM "training_assignments" a
        WHERE p_job = 'reminders' AND a.status IN ('assigned', 'in_progress', 'overdue') AND a.due_date IS NOT NULL
        UNION
        SELECT DISTINCT t.tenant_id FROM "training_completions" t
        WHERE p_job = 'recertification' AND t.passed AND t.expires_at >= "training_today"()
        UNION
        SELECT DISTINCT c.tenant_id FROM "training_courses" c
        WHERE p_job = 'risk_escalation' AND c.escalate_after_days IS NOT NULL AND c.risk_threshold IS NOT NULL
        UNION
        SELECT DISTINCT c.tenant_id FROM "training_courses" c
        WHERE p_job = 'qualification_expiry' AND c.required
        UNION
        SELECT DISTINCT q.tenant_id FROM "quiz_attempts" q
        WHERE p_job = 'quiz_deadlines' AND q.status = 'in_progress' AND q.deadline <= now()
        UNION
        SELECT DISTINCT p.tenant_id FROM "profiles" p
        WHERE p_job NOT IN ('auto_assign', 'overdue_sweep', 'reminders', 'recertification', 'risk_escalation',
                            'qualification_expiry', 'quiz_deadlines');
END
$function$;

CREATE OR REPLACE FUNCTION "training_assignment_effective_counts"(p_tenant_id uuid)
 RETURNS TABLE(course_id uuid, status text, n bigint)
 LANGUAGE plpgsql
 STABLE
AS $function$
#variable_conflict use_column
BEGIN
    RETURN QUERY
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
        SELECT p.course_id, 'overdue', p.n FROM past_due p;
END
$function$;

CREATE OR REPLACE FUNCTION "training_user_at_risk"(p_course_id uuid, p_user_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
BEGIN
    RETURN (
        WITH course AS (
            SELECT c.risk_threshold, c.entity_type FROM "training_courses" c
            WHERE c.tenant_id = "app_tenant_id"() AND c.id = p_course_id AND c.risk_threshold IS NOT NULL
              AND (p_user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer', 'service'))
        ), entities AS (
            SELECT 'worker'::text AS entity_type, p_user_id AS entity_id
            UNION ALL SELECT 'driver', p_user_id
            UNION ALL SELECT DISTINCT 'zone', sh.zone_id FROM "shift_assignments" sh
                WHERE sh.tenant_id = "app_tenant_id"() AND sh.user_id = p_user_id AND sh.ends_at > now() - interval '30 days'
            UNION ALL SELECT DISTINCT 'equipment', eo.equipment_id FROM "equipment_operators" eo
                WHERE eo.tenant_id = "app_tenant_id"() AND eo.user_id = p_user_id
        ), latest AS (
            SELECT (SELECT s.score FROM "predictive_scores" s
                    WHERE s.tenant_id = "app_tenant_id"() AND s.entity_type = e.entity_type AND s.entity_id = e.entity_id
                    ORDER BY s.computed_at DESC, s.created_at DESC, s.id DESC LIMIT 1) AS score
            FROM entities e, course c
            WHERE c.entity_type = e.entity_type OR c.entity_type = 'general'
        )
        SELECT coalesce(bool_or(l.score >= c.risk_threshold), false) FROM latest l, course c);
END
$function$;

CREATE OR REPLACE FUNCTION "xapi_launch_fetch"(p_fetch_hash bytea, p_auth_hash bytea)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
    v_id UUID;
BEGIN
    UPDATE "xapi_launch_tokens" SET "auth_hash" = p_auth_hash, "fetched_at" = now()
    WHERE "fetch_hash" = p_fetch_hash AND "fetched_at" IS NULL AND "expires_at" > now()
    RETURNING "id" INTO v_id;
    RETURN v_id;
END
$function$;
