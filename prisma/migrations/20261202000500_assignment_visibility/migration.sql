-- Who may read an assignment, as ONE inlinable SQL function (LANGUAGE sql STABLE,
-- a single expression: the planner inlines it, so indexes on tenant_id still apply).
-- The SELECT policy below calls it with the caller's settings; live delivery
-- (src/assignments/live-sql.ts) calls it with each subscriber's tenant, user and role
-- in one statement for a whole batch of subscribers. One rule, two callers: they
-- cannot drift (tests/live/visibility.test.ts checks the policy still calls it).
CREATE FUNCTION "training_assignment_visible"(
    p_tenant_id UUID, p_user_id UUID, p_viewer_tenant_id UUID, p_viewer_user_id UUID, p_viewer_role TEXT
) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT p_tenant_id = p_viewer_tenant_id
       AND (p_viewer_role IN ('admin', 'safety_officer', 'service') OR p_user_id = p_viewer_user_id)
$$;

GRANT EXECUTE ON FUNCTION "training_assignment_visible"(UUID, UUID, UUID, UUID, TEXT) TO "training_app";

ALTER POLICY "training_assignments_select" ON "training_assignments"
    USING ("training_assignment_visible"("tenant_id", "user_id", "app_tenant_id"(), "app_user_id"(), "app_role"()));
