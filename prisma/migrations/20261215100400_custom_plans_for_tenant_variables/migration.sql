-- The functions that name the tenant with a PL/pgSQL variable in a statement with a join or a subquery are
-- planned with the variable's value at every call. PL/pgSQL switches to a generic plan after five calls in a
-- session, and in a generic plan a distributed database (Citus) has no value to choose such a statement's
-- shard by: it would go to every shard (and its FOR UPDATE would be refused). On one PostgreSQL the only
-- change is a plan made per call.
ALTER FUNCTION "training_assignment_effective_counts"(UUID) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION "mark_overdue_training_assignments"() SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION "quiz_start_attempt"(UUID, UUID) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION "quiz_close_attempts"(UUID[], BOOLEAN) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION "quiz_regrade"(UUID) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION "quiz_attempt_review"(UUID[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION "quiz_expired_scores"(UUID[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION "training_user_at_risk"(UUID, UUID) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION "get_training_analytics"(UUID, UUID) SET plan_cache_mode = force_custom_plan;
