-- Closing quiz attempts names its tenant as the first argument, held to the caller's tenant, as starting one does
-- (migration 20261215100200_quiz_start_by_tenant): by that argument a distributed database (Citus) can run a call
-- whole on the node of the tenant's shards, in the caller's own connection. Run from the coordinator, the
-- function's writes would reach the shards in its owner's connection, and the caller's statements after it in the
-- same transaction (recording the passes, or reading the attempt) would be refused on the shards it wrote.
-- The scores are read first and written by position: Citus 13.2.2 crashed (signal 11) planning the UPDATE joined
-- with the scoring function in its FROM, and deparsing a SET whose value is a bare array subscript (hence the
-- coalesce; every attempt closed has a score). Otherwise unchanged.
DROP FUNCTION "quiz_close_attempts"(UUID[], BOOLEAN);
CREATE FUNCTION "quiz_close_attempts"(p_tenant_id uuid, p_attempt_ids uuid[], p_submit boolean)
 RETURNS TABLE(attempt_id uuid, assignment_id uuid, user_id uuid, score double precision, passed boolean)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
 SET plan_cache_mode = force_custom_plan
AS $function$
#variable_conflict use_column
DECLARE
    v_ids UUID[];
    v_tenant UUID := "app_tenant_id"();
    v_now TIMESTAMPTZ := now();
    v_scored UUID[];
    v_scores DOUBLE PRECISION[];
BEGIN
    IF p_tenant_id IS DISTINCT FROM v_tenant THEN
        RETURN;
    END IF;
    SELECT coalesce(array_agg(locked.id), '{}') INTO v_ids FROM (
        SELECT a.id FROM "quiz_attempts" a
        WHERE a.tenant_id = v_tenant AND a.status = 'in_progress'
          AND (p_attempt_ids IS NULL OR a.id = ANY (p_attempt_ids))
          AND CASE WHEN p_submit THEN a.user_id = "app_user_id"()
                   ELSE a.deadline <= v_now
                        AND (a.user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer', 'service')) END
        ORDER BY a.id FOR UPDATE) locked;
    SELECT coalesce(array_agg(s.attempt_id), '{}'), coalesce(array_agg(s.score), '{}') INTO v_scored, v_scores
    FROM "quiz_attempt_scores"(v_ids) s;
    RETURN QUERY
        UPDATE "quiz_attempts" a
        SET "status" = 'submitted', "submitted_at" = least(v_now, coalesce(a.deadline, v_now)),
            "score" = coalesce(v_scores[array_position(v_scored, a.id)], 0),
            "passed" = v_scores[array_position(v_scored, a.id)] >= a.pass_mark
        WHERE a.tenant_id = v_tenant AND a.id = ANY (v_scored) AND a.status = 'in_progress'
        RETURNING a.id, a.assignment_id, a.user_id, a.score, a.passed;
END $function$;

REVOKE ALL ON FUNCTION "quiz_close_attempts"(UUID, UUID[], BOOLEAN) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "quiz_close_attempts"(UUID, UUID[], BOOLEAN) TO "training_app";
-- A new owner needs CREATE on the schema at the moment it receives the function; it keeps none afterwards.
GRANT CREATE ON SCHEMA public TO "training_quiz_grader";
ALTER FUNCTION "quiz_close_attempts"(UUID, UUID[], BOOLEAN) OWNER TO "training_quiz_grader";
REVOKE CREATE ON SCHEMA public FROM "training_quiz_grader";
