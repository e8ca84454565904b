-- Regrading, the review and the expired scores take the tenant first and answer for none but the caller's, as
-- starting and closing do (migration 20261216100100_quiz_close_by_tenant): by that argument a distributed database
-- (Citus) runs a call whole on the node of the tenant's shards, in the caller's own connection. Run from the
-- coordinator, a regrade wrote in its owner's connection, and the caller's count of the regraded attempts after it
-- was refused on the shards it wrote. Every statement names the tenant by the variable, also in each subquery, and
-- no statement joins a table with a function that reads tables: what such a function answers is read first, by a
-- statement of its own, and used by position (Citus refused the review's and the expired scores' statements, whose
-- correlated subqueries were not limited to one tenant, and 13.2.2 crashed planning an UPDATE joined with the
-- scoring function). The same rows and values on one PostgreSQL. Planned per call (migration
-- 20261215100400_custom_plans_for_tenant_variables).

DROP FUNCTION "quiz_regrade"(UUID);
CREATE FUNCTION "quiz_regrade"(p_tenant_id uuid, p_course_id uuid)
 RETURNS TABLE(attempt_id uuid, assignment_id uuid, user_id uuid, score double precision, was_passed boolean, passed boolean)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
 SET plan_cache_mode = force_custom_plan
AS $function$
#variable_conflict use_column
DECLARE
    v_tenant UUID := "app_tenant_id"();
    v_ids UUID[];
    v_was BOOLEAN[];
    v_scored UUID[];
    v_scores DOUBLE PRECISION[];
    v_row RECORD;
BEGIN
    IF "app_role"() IS DISTINCT FROM 'admin' AND "app_role"() IS DISTINCT FROM 'safety_officer' THEN
        RAISE EXCEPTION 'only admins and safety officers regrade' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_tenant_id IS DISTINCT FROM v_tenant THEN
        RETURN;
    END IF;
    SELECT coalesce(array_agg(locked.id ORDER BY locked.id), '{}'),
           coalesce(array_agg(locked.passed ORDER BY locked.id), '{}')
      INTO v_ids, v_was
    FROM (
        SELECT a.id, a.passed FROM "quiz_attempts" a
        WHERE a.tenant_id = v_tenant AND a.course_id = p_course_id AND a.status = 'submitted'
        ORDER BY a.id FOR UPDATE) locked;
    SELECT coalesce(array_agg(s.attempt_id), '{}'), coalesce(array_agg(s.score), '{}') INTO v_scored, v_scores
    FROM "quiz_attempt_scores"(v_ids) s;
    FOR v_row IN
        UPDATE "quiz_attempts" a
        SET "score" = coalesce(v_scores[array_position(v_scored, a.id)], 0),
            "passed" = coalesce(v_scores[array_position(v_scored, a.id)], 0) >= a.pass_mark
        WHERE a.tenant_id = v_tenant AND a.id = ANY (v_scored)
          AND (a.score IS DISTINCT FROM coalesce(v_scores[array_position(v_scored, a.id)], 0)
               OR a.passed IS DISTINCT FROM (coalesce(v_scores[array_position(v_scored, a.id)], 0) >= a.pass_mark))
        RETURNING a.id, a.assignment_id, a.user_id, a.score, a.passed
    LOOP
        attempt_id := v_row.id;
        assignment_id := v_row.assignment_id;
        user_id := v_row.user_id;
        score := v_row.score;
        was_passed := v_was[array_position(v_ids, v_row.id)];
        passed := v_row.passed;
        RETURN NEXT;
    END LOOP;
END $function$;

DROP FUNCTION "quiz_attempt_review"(UUID[]);
CREATE FUNCTION "quiz_attempt_review"(p_tenant_id uuid, p_attempt_ids uuid[])
 RETURNS TABLE(attempt_id uuid, question_id uuid, credit double precision, correct jsonb, accepted_answers text[], tolerance double precision, feedback text[])
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
 SET plan_cache_mode = force_custom_plan
AS $function$
#variable_conflict use_column
DECLARE
    v_tenant UUID := "app_tenant_id"();
    v_open UUID[];
    v_scored UUID[];
    v_scores DOUBLE PRECISION[];
    v_shown UUID[];
    v_credit_attempts UUID[];
    v_credit_questions UUID[];
    v_credits DOUBLE PRECISION[];
BEGIN
    IF p_tenant_id IS DISTINCT FROM v_tenant THEN
        RETURN;
    END IF;
    -- Attempts past their deadline not closed yet are scored as closing would.
    SELECT coalesce(array_agg(a.id), '{}') INTO v_open FROM "quiz_attempts" a
    WHERE a.tenant_id = v_tenant AND a.id = ANY (p_attempt_ids) AND a.status = 'in_progress' AND a.deadline <= now()
      AND (a.user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer'));
    SELECT coalesce(array_agg(s.attempt_id), '{}'), coalesce(array_agg(s.score), '{}') INTO v_scored, v_scores
    FROM "quiz_attempt_scores"(v_open) s;
    SELECT coalesce(array_agg(a.id), '{}') INTO v_shown
    FROM "quiz_attempts" a
    JOIN "course_quizzes" qz ON qz.tenant_id = v_tenant AND qz.course_id = a.course_id
    WHERE a.tenant_id = v_tenant AND a.id = ANY (p_attempt_ids)
      AND (a.status = 'submitted' OR a.deadline <= now())
      AND (a.user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer'))
      AND ("app_role"() IN ('admin', 'safety_officer') OR qz.review = 'answers'
           OR (qz.review = 'answers_after_pass'
               AND (coalesce(a.passed, v_scores[array_position(v_scored, a.id)] >= a.pass_mark)
                    OR EXISTS (SELECT 1 FROM "quiz_attempts" o
                               WHERE o.tenant_id = v_tenant AND o.assignment_id = a.assignment_id AND o.passed))));
    SELECT coalesce(array_agg(c.attempt_id), '{}'), coalesce(array_agg(c.question_id), '{}'),
           coalesce(array_agg(c.credit), '{}')
      INTO v_credit_attempts, v_credit_questions, v_credits
    FROM "quiz_question_credits"(v_shown) c;
    RETURN QUERY
        SELECT aq.attempt_id, aq.question_id, cr.credit,
               CASE
                   WHEN aq.kind IN ('single_choice', 'true_false') THEN jsonb_build_object('choiceIds',
                       (SELECT coalesce(jsonb_agg(ch.id ORDER BY ch.position), '[]') FROM "quiz_choices" ch
                        WHERE ch.tenant_id = v_tenant AND ch.question_id = aq.question_id AND ch.credit > 0
                          AND ch.credit = (SELECT max(m.credit) FROM "quiz_choices" m
                                           WHERE m.tenant_id = v_tenant AND m.question_id = aq.question_id)))
                   WHEN aq.kind = 'multiple_choice' THEN jsonb_build_object('choiceIds',
                       (SELECT coalesce(jsonb_agg(ch.id ORDER BY ch.position), '[]') FROM "quiz_choices" ch
                        WHERE ch.tenant_id = v_tenant AND ch.question_id = aq.question_id AND ch.credit > 0))
                   WHEN aq.kind = 'numeric' THEN jsonb_build_object('number', q.numeric_answer)
                   WHEN aq.kind = 'short_answer' THEN jsonb_build_object('text', q.accepted_answers[1])
                   WHEN aq.kind = 'matching' THEN jsonb_build_object('matches',
                       (SELECT coalesce(jsonb_agg(jsonb_build_object('itemId', item.value ->> 'id', 'choiceId', opt.value ->> 'id')
                                                  ORDER BY item.place), '[]')
                        FROM jsonb_array_elements(aq.items) WITH ORDINALITY AS item(value, place)
                        JOIN "quiz_choices" ch ON ch.tenant_id = v_tenant AND ch.id::text = item.value ->> 'id'
                        JOIN jsonb_array_elements(aq.choices) AS opt(value) ON opt.value ->> 'text' = ch.match_text))
                   WHEN aq.kind = 'ordering' THEN jsonb_build_object('order',
                       (SELECT coalesce(jsonb_agg(opt.value ->> 'id' ORDER BY ch.position NULLS LAST, opt.place), '[]')
                        FROM jsonb_array_elements(aq.choices) WITH ORDINALITY AS opt(value, place)
                        LEFT JOIN "quiz_choices" ch ON ch.tenant_id = v_tenant AND ch.id::text = opt.value ->> 'id'))
               END,
               CASE WHEN aq.kind = 'short_answer' THEN q.accepted_answers ELSE '{}' END,
               CASE WHEN aq.kind = 'numeric' THEN coalesce(q.tolerance, 0) END,
               ARRAY(SELECT f.text FROM (
                         SELECT ch.feedback AS text, array_position(an.choice_ids, ch.id) AS place FROM "quiz_choices" ch
                         WHERE ch.tenant_id = v_tenant AND ch.question_id = aq.question_id
                           AND ch.id = ANY (an.choice_ids) AND ch.feedback IS NOT NULL
                         UNION ALL SELECT q.general_feedback, 2147483647 WHERE q.general_feedback IS NOT NULL) f
                     ORDER BY f.place)
        FROM "quiz_attempt_questions" aq
        JOIN "quiz_questions" q ON q.tenant_id = v_tenant AND q.id = aq.question_id
        JOIN unnest(v_credit_attempts, v_credit_questions, v_credits) AS cr(attempt_id, question_id, credit)
          ON cr.attempt_id = aq.attempt_id AND cr.question_id = aq.question_id
        LEFT JOIN "quiz_answers" an
               ON an.tenant_id = v_tenant AND an.attempt_id = aq.attempt_id AND an.question_id = aq.question_id
        WHERE aq.tenant_id = v_tenant AND aq.attempt_id = ANY (v_shown)
        ORDER BY aq.attempt_id, aq.position;
END
$function$;

DROP FUNCTION "quiz_expired_scores"(UUID[]);
CREATE FUNCTION "quiz_expired_scores"(p_tenant_id uuid, p_attempt_ids uuid[])
 RETURNS TABLE(attempt_id uuid, score double precision, passed boolean)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
 SET plan_cache_mode = force_custom_plan
AS $function$
#variable_conflict use_column
DECLARE
    v_tenant UUID := "app_tenant_id"();
    v_ids UUID[];
    v_marks DOUBLE PRECISION[];
BEGIN
    IF p_tenant_id IS DISTINCT FROM v_tenant THEN
        RETURN;
    END IF;
    SELECT coalesce(array_agg(a.id), '{}'), coalesce(array_agg(a.pass_mark), '{}') INTO v_ids, v_marks
    FROM "quiz_attempts" a
    WHERE a.tenant_id = v_tenant AND a.id = ANY (p_attempt_ids) AND a.status = 'in_progress' AND a.deadline <= now()
      AND (a.user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer', 'service'));
    RETURN QUERY
        SELECT s.attempt_id, s.score, s.score >= v_marks[array_position(v_ids, s.attempt_id)]
        FROM "quiz_attempt_scores"(v_ids) s;
END
$function$;

REVOKE ALL ON FUNCTION "quiz_regrade"(UUID, UUID) FROM PUBLIC;
REVOKE ALL ON FUNCTION "quiz_attempt_review"(UUID, UUID[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION "quiz_expired_scores"(UUID, UUID[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "quiz_regrade"(UUID, UUID), "quiz_attempt_review"(UUID, UUID[]),
    "quiz_expired_scores"(UUID, UUID[]) TO "training_app";
-- A new owner needs CREATE on the schema at the moment it receives the function; it keeps none afterwards.
GRANT CREATE ON SCHEMA public TO "training_quiz_grader";
ALTER FUNCTION "quiz_regrade"(UUID, UUID) OWNER TO "training_quiz_grader";
ALTER FUNCTION "quiz_attempt_review"(UUID, UUID[]) OWNER TO "training_quiz_grader";
ALTER FUNCTION "quiz_expired_scores"(UUID, UUID[]) OWNER TO "training_quiz_grader";
REVOKE CREATE ON SCHEMA public FROM "training_quiz_grader";
