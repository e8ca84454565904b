-- Closing quiz attempts takes the transaction's time into a PL/pgSQL variable: a distributed database (Citus)
-- refuses now() inside an UPDATE's COALESCE or CASE, and receives a variable as a parameter. The same instant as
-- before (now() is the transaction's start).
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
    v_now TIMESTAMPTZ := now();
BEGIN
    SELECT coalesce(array_agg(locked.id), '{}') INTO v_ids FROM (
        SELECT a.id FROM "quiz_attempts" a
        WHERE a.tenant_id = v_tenant AND a.status = 'in_progress'
          AND (p_attempt_ids IS NULL OR a.id = ANY (p_attempt_ids))
          AND CASE WHEN p_submit THEN a.user_id = "app_user_id"()
                   ELSE a.deadline <= v_now
                        AND (a.user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer', 'service')) END
        ORDER BY a.id FOR UPDATE) locked;
    RETURN QUERY
        UPDATE "quiz_attempts" a
        SET "status" = 'submitted', "submitted_at" = least(v_now, coalesce(a.deadline, v_now)),
            "score" = s.score, "passed" = s.score >= a.pass_mark
        FROM "quiz_attempt_scores"(v_ids) s
        WHERE a.tenant_id = v_tenant AND a.id = s.attempt_id AND a.status = 'in_progress'
        RETURNING a.id, a.assignment_id, a.user_id, a.score, a.passed;
END $function$;
