-- The quiz functions lock their attempts with the caller's tenant in a PL/pgSQL variable, not
-- app_tenant_id() in the statement: a distributed database (Citus) chooses a statement's shard from a
-- parameter or a constant, never from a STABLE function, and runs a FOR UPDATE on one shard only. The
-- variable holds the same value, so nothing else changes.

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
