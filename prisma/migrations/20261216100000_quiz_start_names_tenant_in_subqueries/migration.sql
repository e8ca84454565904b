-- Starting a quiz attempt names its tenant by the variable in every statement and subquery, not through the sampled
-- question's tenant_id: a distributed database (Citus) sends a statement to one shard only when each table it reads
-- is limited to one tenant by a value, and refused the shown questions' INSERT … SELECT, whose subqueries on the
-- choices were correlated by the sample's tenant_id. The same value (the function answers only for the caller's
-- tenant), so nothing changes on one PostgreSQL. CREATE OR REPLACE keeps the owner and the grants; the settings are
-- restated (planned per call, migration 20261215100400_custom_plans_for_tenant_variables).
CREATE OR REPLACE FUNCTION "quiz_start_attempt"(p_tenant_id uuid, p_assignment_id uuid)
 RETURNS TABLE(attempt_id uuid, refusal text, retry_after_seconds integer)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
 SET plan_cache_mode = force_custom_plan
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
    IF p_tenant_id IS DISTINCT FROM v_tenant THEN
        RETURN QUERY SELECT NULL::uuid, 'not_found'::text, NULL::int; RETURN;
    END IF;
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
    VALUES (v_tenant, p_assignment_id, v_assignment.course_id, "app_user_id"(), v_used + 1,
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
                          WHERE c.tenant_id = v_tenant AND c.question_id = d.id AND c.match_text IS NOT NULL) m)
               WHEN d.kind = 'ordering' OR (d.kind IN ('single_choice', 'multiple_choice') AND v_quiz.shuffle_choices) THEN
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'text', c.text) ORDER BY random()), '[]')
                    FROM "quiz_choices" c WHERE c.tenant_id = v_tenant AND c.question_id = d.id)
               ELSE
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'text', c.text) ORDER BY c.position, c.id), '[]')
                    FROM "quiz_choices" c WHERE c.tenant_id = v_tenant AND c.question_id = d.id)
           END,
           CASE WHEN d.kind = 'matching' THEN
               (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'text', c.text) ORDER BY random()), '[]')
                FROM "quiz_choices" c WHERE c.tenant_id = v_tenant AND c.question_id = d.id AND c.text <> '')
           END
    FROM (SELECT q.* FROM "quiz_questions" q
          WHERE q.tenant_id = v_tenant AND q.tags && v_quiz.tags
          ORDER BY random() LIMIT v_quiz.question_count) d;
    RETURN QUERY SELECT v_id, NULL::text, NULL::int;
END $function$;
