-- The quiz and risk functions name the caller's tenant with a PL/pgSQL variable, not app_tenant_id() in each
-- statement: a distributed database (Citus) chooses a statement's shard from a parameter or a constant, never
-- from a STABLE function (so such a statement reads every shard), and runs a FOR UPDATE on one shard only.
-- The variable holds the same value, so nothing else changes.

CREATE OR REPLACE FUNCTION "quiz_close_attempts"(p_attempt_ids uuid[], p_submit boolean)
 RETURNS TABLE(attempt_id uuid, assignment_id uuid, user_id uuid, score double precision, passed boolean)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
    v_ids UUID[];
    v_tenant UUID := "app_tenant_id"();
BEGIN
    SELECT coalesce(array_agg(locked.id), '{}') INTO v_ids FROM (
        SELECT a.id FROM "quiz_attempts" a
        WHERE a.tenant_id = v_tenant AND a.status = 'in_progress'
          AND (p_attempt_ids IS NULL OR a.id = ANY (p_attempt_ids))
          AND CASE WHEN p_submit THEN a.user_id = "app_user_id"()
                   ELSE a.deadline <= now()
                        AND (a.user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer', 'service')) END
        ORDER BY a.id FOR UPDATE) locked;
    RETURN QUERY
        UPDATE "quiz_attempts" a
        SET "status" = 'submitted', "submitted_at" = least(now(), coalesce(a.deadline, now())),
            "score" = s.score, "passed" = s.score >= a.pass_mark
        FROM "quiz_attempt_scores"(v_ids) s
        WHERE a.tenant_id = v_tenant AND a.id = s.attempt_id AND a.status = 'in_progress'
        RETURNING a.id, a.assignment_id, a.user_id, a.score, a.passed;
END $function$;

CREATE OR REPLACE FUNCTION "quiz_regrade"(p_course_id uuid)
 RETURNS TABLE(attempt_id uuid, assignment_id uuid, user_id uuid, score double precision, was_passed boolean, passed boolean)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
    v_ids UUID[];
    v_tenant UUID := "app_tenant_id"();
BEGIN
    IF "app_role"() IS DISTINCT FROM 'admin' AND "app_role"() IS DISTINCT FROM 'safety_officer' THEN
        RAISE EXCEPTION 'only admins and safety officers regrade' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT coalesce(array_agg(locked.id), '{}') INTO v_ids FROM (
        SELECT a.id FROM "quiz_attempts" a
        WHERE a.tenant_id = v_tenant AND a.course_id = p_course_id AND a.status = 'submitted'
        ORDER BY a.id FOR UPDATE) locked;
    RETURN QUERY
        WITH before AS (
            SELECT a.id, a.passed FROM "quiz_attempts" a WHERE a.tenant_id = v_tenant AND a.id = ANY (v_ids)
        ), changed AS (
            UPDATE "quiz_attempts" a SET "score" = s.score, "passed" = s.score >= a.pass_mark
            FROM "quiz_attempt_scores"(v_ids) s
            WHERE a.tenant_id = v_tenant AND a.id = s.attempt_id
              AND (a.score IS DISTINCT FROM s.score OR a.passed IS DISTINCT FROM (s.score >= a.pass_mark))
            RETURNING a.id, a.assignment_id, a.user_id, a.score, a.passed
        )
        SELECT c.id, c.assignment_id, c.user_id, c.score, b.passed, c.passed FROM changed c JOIN before b ON b.id = c.id;
END $function$;

CREATE OR REPLACE FUNCTION "quiz_attempt_review"(p_attempt_ids uuid[])
 RETURNS TABLE(attempt_id uuid, question_id uuid, credit double precision, correct jsonb, accepted_answers text[], tolerance double precision, feedback text[])
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
    v_tenant UUID := "app_tenant_id"();
BEGIN
    RETURN QUERY
        WITH closed AS (
            SELECT a.id, a.tenant_id, a.assignment_id, a.status, a.pass_mark, a.passed, a.user_id, qz.review
            FROM "quiz_attempts" a
            JOIN "course_quizzes" qz ON qz.tenant_id = a.tenant_id AND qz.course_id = a.course_id
            WHERE a.tenant_id = v_tenant AND a.id = ANY (p_attempt_ids)
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

CREATE OR REPLACE FUNCTION "quiz_expired_scores"(p_attempt_ids uuid[])
 RETURNS TABLE(attempt_id uuid, score double precision, passed boolean)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
    v_tenant UUID := "app_tenant_id"();
BEGIN
    RETURN QUERY
        SELECT s.attempt_id, s.score, s.score >= a.pass_mark
        FROM "quiz_attempt_scores"(ARRAY(
                 SELECT a.id FROM "quiz_attempts" a
                 WHERE a.tenant_id = v_tenant AND a.id = ANY (p_attempt_ids) AND a.status = 'in_progress'
                   AND a.deadline <= now()
                   AND (a.user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer', 'service')))) s
        JOIN "quiz_attempts" a ON a.id = s.attempt_id;
END
$function$;

CREATE OR REPLACE FUNCTION "quiz_start_attempt"(p_assignment_id uuid)
 RETURNS TABLE(attempt_id uuid, refusal text, retry_after_seconds integer)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
    v_tenant UUID := "app_tenant_id"();
    v_assignment RECORD;
    v_quiz RECORD;
    v_used INTEGER;
    v_last TIMESTAMPTZ;
    v_id UUID;
BEGIN
    SELECT t.id, t.course_id, t.status, t.started_at INTO v_assignment FROM "training_assignments" t
    WHERE t.tenant_id = v_tenant AND t.id = p_assignment_id AND t.user_id = "app_user_id"();
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::uuid, 'not_found'::text, NULL::int; RETURN;
    END IF;
    IF v_assignment.status NOT IN ('in_progress', 'overdue') OR v_assignment.started_at IS NULL THEN
        RETURN QUERY SELECT NULL::uuid, 'not_started'::text, NULL::int; RETURN;
    END IF;
    SELECT q.tags, q.question_count, q.pass_mark, q.time_limit_minutes, q.max_attempts, q.cooldown_minutes,
           q.shuffle_choices INTO v_quiz
    FROM "course_quizzes" q WHERE q.tenant_id = v_tenant AND q.course_id = v_assignment.course_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::uuid, 'no_quiz'::text, NULL::int; RETURN;
    END IF;
    SELECT a.id INTO v_id FROM "quiz_attempts" a
    WHERE a.tenant_id = v_tenant AND a.assignment_id = p_assignment_id AND a.status = 'in_progress';
    IF FOUND THEN
        RETURN QUERY SELECT v_id, NULL::text, NULL::int; RETURN;
    END IF;
    SELECT count(*), max(a.submitted_at) INTO v_used, v_last FROM "quiz_attempts" a
    WHERE a.tenant_id = v_tenant AND a.assignment_id = p_assignment_id;
    IF v_quiz.max_attempts IS NOT NULL AND v_used >= v_quiz.max_attempts THEN
        RETURN QUERY SELECT NULL::uuid, 'no_attempts_left'::text, NULL::int; RETURN;
    END IF;
    IF v_last + make_interval(mins => v_quiz.cooldown_minutes) > now() THEN
        RETURN QUERY SELECT NULL::uuid, 'cooldown'::text,
            ceil(extract(epoch FROM v_last + make_interval(mins => v_quiz.cooldown_minutes) - now()))::int;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM "quiz_questions" q WHERE q.tenant_id = v_tenant AND q.tags && v_quiz.tags) THEN
        RETURN QUERY SELECT NULL::uuid, 'no_questions'::text, NULL::int; RETURN;
    END IF;
    INSERT INTO "quiz_attempts" ("tenant_id", "assignment_id", "course_id", "user_id", "number", "deadline", "pass_mark")
    VALUES ("app_tenant_id"(), p_assignment_id, v_assignment.course_id, "app_user_id"(), v_used + 1,
            now() + make_interval(mins => v_quiz.time_limit_minutes), v_quiz.pass_mark)
    RETURNING "id" INTO v_id;
    -- Shuffles are uniform: even leaving out the right order would tell something about it.
    INSERT INTO "quiz_attempt_questions" ("tenant_id", "attempt_id", "question_id", "position", "kind", "text",
                                          "points", "choices", "items")
    SELECT d.tenant_id, v_id, d.id, (row_number() OVER (ORDER BY random()))::int - 1, d.kind, d.text, d.points,
           CASE
               WHEN d.kind IN ('numeric', 'short_answer') THEN '[]'::jsonb
               WHEN d.kind = 'matching' THEN
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'text', m.match_text)
                                              ORDER BY random()), '[]')
                    FROM (SELECT DISTINCT c.match_text FROM "quiz_choices" c
                          WHERE c.tenant_id = d.tenant_id AND c.question_id = d.id AND c.match_text IS NOT NULL) m)
               WHEN d.kind = 'ordering' OR (d.kind IN ('single_choice', 'multiple_choice') AND v_quiz.shuffle_choices) THEN
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'text', c.text) ORDER BY random()), '[]')
                    FROM "quiz_choices" c WHERE c.tenant_id = d.tenant_id AND c.question_id = d.id)
               ELSE
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'text', c.text) ORDER BY c.position, c.id), '[]')
                    FROM "quiz_choices" c WHERE c.tenant_id = d.tenant_id AND c.question_id = d.id)
           END,
           CASE WHEN d.kind = 'matching' THEN
               (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'text', c.text) ORDER BY random()), '[]')
                FROM "quiz_choices" c WHERE c.tenant_id = d.tenant_id AND c.question_id = d.id AND c.text <> '')
           END
    FROM (SELECT q.* FROM "quiz_questions" q
          WHERE q.tenant_id = v_tenant AND q.tags && v_quiz.tags
          ORDER BY random() LIMIT v_quiz.question_count) d;
    RETURN QUERY SELECT v_id, NULL::text, NULL::int;
END $function$;

CREATE OR REPLACE FUNCTION "training_user_at_risk"(p_course_id uuid, p_user_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
    v_tenant UUID := "app_tenant_id"();
BEGIN
    RETURN (
        WITH course AS (
            SELECT c.risk_threshold, c.entity_type FROM "training_courses" c
            WHERE c.tenant_id = v_tenant AND c.id = p_course_id AND c.risk_threshold IS NOT NULL
              AND (p_user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer', 'service'))
        ), entities AS (
            SELECT 'worker'::text AS entity_type, p_user_id AS entity_id
            UNION ALL SELECT 'driver', p_user_id
            UNION ALL SELECT DISTINCT 'zone', sh.zone_id FROM "shift_assignments" sh
                WHERE sh.tenant_id = v_tenant AND sh.user_id = p_user_id AND sh.ends_at > now() - interval '30 days'
            UNION ALL SELECT DISTINCT 'equipment', eo.equipment_id FROM "equipment_operators" eo
                WHERE eo.tenant_id = v_tenant AND eo.user_id = p_user_id
        ), latest AS (
            SELECT (SELECT s.score FROM "predictive_scores" s
                    WHERE s.tenant_id = v_tenant AND s.entity_type = e.entity_type AND s.entity_id = e.entity_id
                    ORDER BY s.computed_at DESC, s.created_at DESC, s.id DESC LIMIT 1) AS score
            FROM entities e, course c
            WHERE c.entity_type = e.entity_type OR c.entity_type = 'general'
        )
        SELECT coalesce(bool_or(l.score >= c.risk_threshold), false) FROM latest l, course c);
END
$function$;
