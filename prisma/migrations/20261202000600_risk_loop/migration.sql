-- Closing the risk loop (src/risk/): hysteresis and escalation settings per
-- course, the escalations the scheduler records, and the NOTIFY feed behind
-- the qualificationChanged subscription.

-- Course settings. rearm_margin: after a risk-based assignment of the course
-- ends, it is assigned again only after a score below risk_threshold -
-- rearm_margin and then a newer one at or above the threshold (null: off).
-- escalate_after_days: a passed completion whose entity still scores at or
-- above the threshold that many days later is escalated (null: off).
ALTER TABLE "training_courses"
    ADD COLUMN "rearm_margin" NUMERIC CHECK ("rearm_margin" >= 0 AND "rearm_margin" <= 100),
    ADD COLUMN "escalate_after_days" INTEGER CHECK ("escalate_after_days" >= 1 AND "escalate_after_days" <= 3650);

-- The ended risk-based assignments of a (course, user): what the stale-score
-- rule and the hysteresis of auto-assignment look up.
CREATE INDEX "training_assignments_risk_history_idx" ON "training_assignments" ("tenant_id", "course_id", "user_id")
    WHERE "assignment_type" = 'risk_based' AND "status" IN ('completed', 'cancelled');

-- One escalation per passed completion whose entity's latest score was still at
-- or above the threshold escalate_after_days after it (src/risk/escalation-sql.ts).
CREATE TABLE "risk_escalations" (
    "id"                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"         UUID NOT NULL,
    "completion_id"     UUID NOT NULL,
    "assignment_id"     UUID NOT NULL,
    "course_id"         UUID NOT NULL,
    "user_id"           UUID NOT NULL,
    "entity_type"       TEXT NOT NULL CHECK ("entity_type" IN ('zone', 'driver', 'worker', 'equipment')),
    "entity_id"         UUID NOT NULL,
    -- The score that triggered the assignment, and the latest one when escalated.
    "score_before"      NUMERIC NOT NULL,
    "score_id"          UUID,
    "score_now"         NUMERIC NOT NULL,
    "threshold"         NUMERIC NOT NULL,
    "completed_at"      TIMESTAMPTZ(6) NOT NULL,
    "created_at"        TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "risk_escalations_tenant_id_completion_id_key" UNIQUE ("tenant_id", "completion_id"),
    CONSTRAINT "risk_escalations_completion_fkey" FOREIGN KEY ("completion_id")
        REFERENCES "training_completions" ("id") ON DELETE CASCADE,
    CONSTRAINT "risk_escalations_assignment_fkey" FOREIGN KEY ("tenant_id", "assignment_id")
        REFERENCES "training_assignments" ("tenant_id", "id") ON DELETE CASCADE,
    CONSTRAINT "risk_escalations_course_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE,
    CONSTRAINT "risk_escalations_user_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE
);
CREATE INDEX "risk_escalations_tenant_id_created_at_idx" ON "risk_escalations" ("tenant_id", "created_at" DESC, "id");
CREATE INDEX "risk_escalations_assignment_idx" ON "risk_escalations" ("tenant_id", "assignment_id");

-- Read by admins, safety officers and integrations; written by the scheduler
-- (role service) or an admin/safety officer running it on demand. Never changed.
ALTER TABLE "risk_escalations" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON "risk_escalations" TO "training_app";
CREATE POLICY "risk_escalations_select" ON "risk_escalations" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer', 'service'));
CREATE POLICY "risk_escalations_insert" ON "risk_escalations" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer', 'service'));
CREATE POLICY "risk_escalations_delete" ON "risk_escalations" FOR DELETE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'admin');

-- Two more scheduled jobs (after 20261202000400's reminders and recertification): risk escalation, and the qualification changes that
-- the change of day causes (completions that expired yesterday).
ALTER TABLE "scheduled_job_runs" DROP CONSTRAINT "scheduled_job_runs_job_check";
ALTER TABLE "scheduled_job_runs" ADD CONSTRAINT "scheduled_job_runs_job_check"
    CHECK ("job" IN ('auto_assign', 'overdue_sweep', 'reminders', 'recertification', 'risk_escalation',
                     'qualification_expiry'));

-- The scheduler's cross-tenant question, extended (see 20261125000300_scheduled_jobs):
-- "training_scheduler" may now also see which courses escalate and which are required.
GRANT SELECT ("escalate_after_days", "required") ON "training_courses" TO "training_scheduler";
CREATE POLICY "training_courses_scheduler_risk_loop" ON "training_courses" FOR SELECT TO "training_scheduler"
    USING (("escalate_after_days" IS NOT NULL AND "risk_threshold" IS NOT NULL) OR "required");
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
$$;

-- Qualification changes, announced after commit on the channel
-- "qualification_changed" as {"tenantId", "users": [ids]} (at most 150 ids per
-- payload) or {"tenantId", "all": true} (a change that concerns every user of
-- the tenant, such as a new required course). Subscribers re-read the users
-- concerned and push only the qualifications that really changed.
-- Call it for any other change (a revoked certificate): it is the one hook.
CREATE FUNCTION "notify_qualification_changed"(p_tenant_id UUID, p_user_ids UUID[]) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
    v_batch RECORD;
BEGIN
    IF p_user_ids IS NULL THEN
        PERFORM pg_notify('qualification_changed', json_build_object('tenantId', p_tenant_id, 'all', true)::text);
        RETURN;
    END IF;
    FOR v_batch IN
        SELECT json_agg(u.id ORDER BY u.id) AS users
        FROM (SELECT DISTINCT x.id, dense_rank() OVER (ORDER BY x.id) AS n
              FROM unnest(p_user_ids) AS x(id) WHERE x.id IS NOT NULL) u
        GROUP BY (u.n - 1) / 150
    LOOP
        PERFORM pg_notify('qualification_changed',
            json_build_object('tenantId', p_tenant_id, 'users', v_batch.users)::text);
    END LOOP;
END $$;

-- Completions (new, changed, deleted), new or changed shifts, new operators:
-- the users concerned, per tenant, once per statement.
CREATE FUNCTION "qualification_changed_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_tenant RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN
        FOR v_tenant IN SELECT o.tenant_id, array_agg(DISTINCT o.user_id) AS users FROM "old_rows" o GROUP BY o.tenant_id
        LOOP PERFORM "notify_qualification_changed"(v_tenant.tenant_id, v_tenant.users); END LOOP;
    ELSE
        FOR v_tenant IN SELECT n.tenant_id, array_agg(DISTINCT n.user_id) AS users FROM "new_rows" n GROUP BY n.tenant_id
        LOOP PERFORM "notify_qualification_changed"(v_tenant.tenant_id, v_tenant.users); END LOOP;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER "training_completions_qualification_insert" AFTER INSERT ON "training_completions"
    REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "training_completions_qualification_update" AFTER UPDATE ON "training_completions"
    REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "training_completions_qualification_delete" AFTER DELETE ON "training_completions"
    REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "shift_assignments_qualification_insert" AFTER INSERT ON "shift_assignments"
    REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "shift_assignments_qualification_update" AFTER UPDATE ON "shift_assignments"
    REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "equipment_operators_qualification_insert" AFTER INSERT ON "equipment_operators"
    REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "qualification_changed_rows"();

-- A cancellation (row trigger: its WHEN is checked without calling a function,
-- so the overdue sweep's bulk updates cost nothing here).
CREATE FUNCTION "qualification_changed_cancelled"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM "notify_qualification_changed"(NEW.tenant_id, ARRAY[NEW.user_id]);
    RETURN NULL;
END $$;
CREATE TRIGGER "training_assignments_qualification_cancelled" AFTER UPDATE OF "status" ON "training_assignments"
    FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM 'cancelled')
    EXECUTE FUNCTION "qualification_changed_cancelled"();

-- A course becomes required, stops being required, or a required course changes
-- its entity type or is removed: every user of the tenant may be concerned.
CREATE FUNCTION "qualification_changed_course"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM "notify_qualification_changed"(OLD.tenant_id, NULL);
    ELSE
        PERFORM "notify_qualification_changed"(NEW.tenant_id, NULL);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER "training_courses_qualification_insert" AFTER INSERT ON "training_courses"
    FOR EACH ROW WHEN (NEW.required) EXECUTE FUNCTION "qualification_changed_course"();
CREATE TRIGGER "training_courses_qualification_update" AFTER UPDATE ON "training_courses"
    FOR EACH ROW WHEN (OLD.required IS DISTINCT FROM NEW.required
                       OR (NEW.required AND OLD.entity_type IS DISTINCT FROM NEW.entity_type))
    EXECUTE FUNCTION "qualification_changed_course"();
CREATE TRIGGER "training_courses_qualification_delete" AFTER DELETE ON "training_courses"
    FOR EACH ROW WHEN (OLD.required) EXECUTE FUNCTION "qualification_changed_course"();
