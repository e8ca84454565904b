-- An answer is written only to the caller's own attempt while it is open. Checked, like the other checks of
-- a row against other rows (migration 20261211300100_row_local_policies), by a BEFORE trigger whose verdict
-- the policies read from a setting, no longer by a function the policies call: a distributed database
-- (Citus) applies a policy on the row's shard, where a query of the policy's would be a distributed query
-- run from a shard, which it refuses; a trigger there may read the same tenant's rows. Fires after
-- "quiz_answers_fill_user" (by name), so it sees the row the policy sees.
CREATE FUNCTION "quiz_answers_open_check"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF row_security_active(TG_RELID) THEN
        PERFORM set_config('app.checked_quiz_answers', CASE WHEN EXISTS (
            SELECT 1 FROM "quiz_attempts" a
            WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.attempt_id AND a.user_id = "app_user_id"()
              AND a.status = 'in_progress' AND (a.deadline IS NULL OR a.deadline > now()))
            THEN NEW.id::text ELSE '' END, true);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER "quiz_answers_open_check" BEFORE INSERT OR UPDATE ON "quiz_answers"
    FOR EACH ROW EXECUTE FUNCTION "quiz_answers_open_check"();

ALTER POLICY "quiz_answers_insert" ON "quiz_answers"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "rls_row_checked"('quiz_answers', "id"));
ALTER POLICY "quiz_answers_update" ON "quiz_answers"
    USING ("tenant_id" = "app_tenant_id"() AND "user_id" = "app_user_id"())
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "rls_row_checked"('quiz_answers', "id"));

DROP FUNCTION "quiz_attempt_open_for_caller"(UUID, UUID);
