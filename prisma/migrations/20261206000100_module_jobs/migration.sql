-- Scheduled jobs belong to the modules that declare them (src/<module>/jobs.ts), so a module adds a job
-- without a migration: scheduled_job_runs takes any job name of the scheduler's form instead of a fixed list,
-- and scheduled_job_tenants() answers a job it has no narrower rule for with every tenant that has a profile.
ALTER TABLE "scheduled_job_runs" DROP CONSTRAINT "scheduled_job_runs_job_check";
ALTER TABLE "scheduled_job_runs" ADD CONSTRAINT "scheduled_job_runs_job_check"
    CHECK ("job" ~ '^[a-z][a-z0-9_]{0,62}$');

-- "training_scheduler" may see which tenants have profiles, and nothing else about them.
GRANT SELECT ("tenant_id") ON "profiles" TO "training_scheduler";
CREATE POLICY "profiles_scheduler" ON "profiles" FOR SELECT TO "training_scheduler" USING (true);

CREATE OR REPLACE FUNCTION "scheduled_job_tenants"(p_job TEXT) RETURNS SETOF UUID
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT DISTINCT c.tenant_id FROM "training_courses" c
    WHERE p_job = 'auto_assign' AND c.auto_assign_enabled AND c.risk_threshold IS NOT NULL
    UNION
    SELECT DISTINCT a.tenant_id FROM "training_assignments" a
    WHERE p_job = 'overdue_sweep' AND a.status IN ('assigned', 'in_progress') AND a.due_date < "training_today"()
    UNION
    SELECT DISTINCT a.tenant_id FROM "training_assignments" a
    WHERE p_job = 'reminders' AND a.status IN ('assigned', 'in_progress', 'overdue') AND a.due_date IS NOT NULL
    UNION
    SELECT DISTINCT t.tenant_id FROM "training_completions" t
    WHERE p_job = 'recertification' AND t.passed AND t.expires_at >= "training_today"()
    UNION
    SELECT DISTINCT c.tenant_id FROM "training_courses" c
    WHERE p_job = 'risk_escalation' AND c.escalate_after_days IS NOT NULL AND c.risk_threshold IS NOT NULL
    UNION
    SELECT DISTINCT c.tenant_id FROM "training_courses" c
    WHERE p_job = 'qualification_expiry' AND c.required
    UNION
    SELECT DISTINCT p.tenant_id FROM "profiles" p
    WHERE p_job NOT IN ('auto_assign', 'overdue_sweep', 'reminders', 'recertification', 'risk_escalation',
                        'qualification_expiry')
$$;
