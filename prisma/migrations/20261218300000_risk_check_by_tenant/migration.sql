-- The risk check of a completion takes the tenant first and answers for none but the caller's, as the quiz functions
-- do (migration 20261217200000_quiz_review_regrade_by_tenant): by that argument a distributed database (Citus) runs
-- a call whole on the node of the tenant's shards, in the caller's own connection. Run from the coordinator, its
-- reads opened a connection of the owner's, which Citus refused on the shards the completion's transaction had
-- written. The same rows and answer on one PostgreSQL. Planned per call (migration
-- 20261215100400_custom_plans_for_tenant_variables).
DROP FUNCTION "training_user_at_risk"(UUID, UUID);
CREATE FUNCTION "training_user_at_risk"(p_tenant_id uuid, p_course_id uuid, p_user_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
 SET plan_cache_mode = force_custom_plan
AS $function$
#variable_conflict use_column
DECLARE
    v_tenant UUID := "app_tenant_id"();
BEGIN
    IF p_tenant_id IS DISTINCT FROM v_tenant THEN
        RETURN false;
    END IF;
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
REVOKE ALL ON FUNCTION "training_user_at_risk"(UUID, UUID, UUID) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "training_user_at_risk"(UUID, UUID, UUID) TO "training_app";
-- A new owner needs CREATE on the schema at the moment it receives the function; it keeps none afterwards.
GRANT CREATE ON SCHEMA public TO "training_risk_reader";
ALTER FUNCTION "training_user_at_risk"(UUID, UUID, UUID) OWNER TO "training_risk_reader";
REVOKE CREATE ON SCHEMA public FROM "training_risk_reader";
