-- Scheduled jobs (risk-based auto-assignment, overdue sweep; src/risk/scheduler.ts).
--
-- Every API instance runs the same cron timers, yet each (job, tenant, slot)
-- must run once. An instance claims a run by inserting its row here in the same
-- transaction that does the tenant's work: the unique key lets one claim win;
-- a second instance's INSERT … ON CONFLICT DO NOTHING waits for the first to
-- finish and then inserts nothing (or, had the first failed and rolled back,
-- claims the slot itself and retries the work). A committed row therefore means
-- "done", with how many rows the run touched.
CREATE TABLE "scheduled_job_runs" (
    "id"          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "job"         TEXT NOT NULL CHECK ("job" IN ('auto_assign', 'overdue_sweep')),
    "tenant_id"   UUID NOT NULL,
    -- The cron slot (the scheduled instant, not the moment a timer fired), so
    -- every instance names the same run the same way.
    "slot"        TIMESTAMPTZ(6) NOT NULL,
    -- Which API instance ran it (host:pid), for operators reading the history.
    "instance"    TEXT NOT NULL,
    -- Set when the work is done, in the same transaction as the claim.
    "affected"    INTEGER,
    "created_at"  TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "finished_at" TIMESTAMPTZ(6),
    CONSTRAINT "scheduled_job_runs_job_tenant_id_slot_key" UNIQUE ("job", "tenant_id", "slot")
);

-- Like every table: RLS forced, and only an integration-role transaction for
-- the tenant (the scheduler runs as app.role 'service') reads or writes it.
ALTER TABLE "scheduled_job_runs" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON "scheduled_job_runs" TO "training_app";
CREATE POLICY "scheduled_job_runs_service" ON "scheduled_job_runs" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'service')
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'service');

-- Which tenants a job must visit is the one cross-tenant question the API ever
-- asks, and RLS (forced, so even the table owner is bound by it) rightly
-- answers no cross-tenant question for "training_app". Rather than loosen any
-- policy of "training_app", the answer comes from a SECURITY DEFINER function
-- owned by a role that can see nothing else:
--   * "training_scheduler" cannot log in, holds SELECT on exactly the columns
--     the function reads (tenant_id and the columns of its WHERE), and its own
--     policies show it only the rows that make a tenant due: auto-assign
--     courses, and active assignments past their due date;
--   * the function's SQL is fixed, takes only the job name, returns only tenant
--     ids, and its search_path is pinned;
--   * only "training_app" may execute it.
-- The worst a caller can learn from it is which tenant ids have auto-assign
-- courses or overdue work; every read and write of the job itself then runs in
-- a transaction scoped to one tenant under the ordinary policies.
DO $$
BEGIN
    CREATE ROLE "training_scheduler" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- roles are cluster-wide: another database (or a concurrent migration) made it
END $$;

-- The migrating user must be able to SET ROLE to it to hand it the function.
DO $$
BEGIN
    EXECUTE format('GRANT "training_scheduler" TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN
    NULL;
END $$;

GRANT USAGE ON SCHEMA public TO "training_scheduler";
GRANT SELECT ("tenant_id", "auto_assign_enabled", "risk_threshold") ON "training_courses" TO "training_scheduler";
GRANT SELECT ("tenant_id", "status", "due_date") ON "training_assignments" TO "training_scheduler";
CREATE POLICY "training_courses_scheduler" ON "training_courses" FOR SELECT TO "training_scheduler"
    USING ("auto_assign_enabled" AND "risk_threshold" IS NOT NULL);
CREATE POLICY "training_assignments_scheduler" ON "training_assignments" FOR SELECT TO "training_scheduler"
    USING ("status" IN ('assigned', 'in_progress') AND "due_date" < "training_today"());

-- auto_assign: tenants with an auto-assign course (the run is cheap when no
-- score matches). overdue_sweep: tenants with an active assignment whose stored
-- status the sweep would change.
CREATE FUNCTION "scheduled_job_tenants"(p_job TEXT) RETURNS SETOF UUID
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT DISTINCT c.tenant_id FROM "training_courses" c
    WHERE p_job = 'auto_assign' AND c.auto_assign_enabled AND c.risk_threshold IS NOT NULL
    UNION
    SELECT DISTINCT a.tenant_id FROM "training_assignments" a
    WHERE p_job = 'overdue_sweep' AND a.status IN ('assigned', 'in_progress') AND a.due_date < "training_today"()
$$;
REVOKE ALL ON FUNCTION "scheduled_job_tenants"(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "scheduled_job_tenants"(TEXT) TO "training_app";
-- A new owner needs CREATE on the schema at the moment it receives the
-- function; it keeps none afterwards.
GRANT CREATE ON SCHEMA public TO "training_scheduler";
ALTER FUNCTION "scheduled_job_tenants"(TEXT) OWNER TO "training_scheduler";
REVOKE CREATE ON SCHEMA public FROM "training_scheduler";
