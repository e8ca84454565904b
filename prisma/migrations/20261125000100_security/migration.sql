-- Tenancy and roles enforced by PostgreSQL itself (SPEC §3): even a resolver bug
-- cannot leak a row. The API runs every request in a transaction under the
-- non-owner role "training_app" with app.tenant_id / app.user_id / app.role set
-- locally (src/core/db.ts); these policies read those settings.

DO $$
BEGIN
    CREATE ROLE "training_app" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- roles are cluster-wide: another database (or a concurrent migration) made it
END $$;

-- The connecting (owner) user must be able to SET ROLE to it.
DO $$
BEGIN
    EXECUTE format('GRANT "training_app" TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN
    NULL;
END $$;

GRANT USAGE ON SCHEMA public TO "training_app";
GRANT SELECT, INSERT, UPDATE, DELETE ON
    "profiles", "predictive_scores", "shift_assignments", "equipment_operators",
    "training_courses", "training_assignments", "training_completions"
TO "training_app";

-- The caller, as set by the API for the current transaction.
CREATE FUNCTION "app_tenant_id"() RETURNS UUID LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;
CREATE FUNCTION "app_user_id"() RETURNS UUID LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;
CREATE FUNCTION "app_role"() RETURNS TEXT LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.role', true), '') $$;

-- "Today" for due dates is the UTC calendar day, in SQL and in the API alike.
CREATE FUNCTION "training_today"() RETURNS DATE LANGUAGE sql STABLE AS
$$ SELECT (now() AT TIME ZONE 'UTC')::date $$;

-- An active assignment past its due date is overdue, whether or not the sweep
-- has stored it yet: every read goes through this so no query shows a stale status.
CREATE FUNCTION "training_effective_status"(p_status TEXT, p_due_date DATE) RETURNS TEXT
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p_status IN ('assigned', 'in_progress') AND p_due_date < "training_today"() THEN 'overdue'
        ELSE p_status
    END
$$;

ALTER TABLE "profiles"             ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "predictive_scores"    ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "shift_assignments"    ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "equipment_operators"  ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_courses"     ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_assignments" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completions" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- profiles: everyone in the tenant reads the directory; a caller refreshes their
-- own profile from their token; admins and integrations maintain the rest.
CREATE POLICY "profiles_select" ON "profiles" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "profiles_insert" ON "profiles" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND ("id" = "app_user_id"() OR "app_role"() IN ('admin', 'service')));
CREATE POLICY "profiles_update" ON "profiles" FOR UPDATE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND ("id" = "app_user_id"() OR "app_role"() IN ('admin', 'service')))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND ("id" = "app_user_id"() OR "app_role"() IN ('admin', 'service')));
CREATE POLICY "profiles_delete" ON "profiles" FOR DELETE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'admin');

-- Inputs from neighbouring systems: read by the roles that run assignment,
-- written by admins and integrations. Workers see their own shifts/equipment.
CREATE POLICY "predictive_scores_select" ON "predictive_scores" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer', 'service'));
CREATE POLICY "predictive_scores_write" ON "predictive_scores" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'service'))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'service'));

CREATE POLICY "shift_assignments_select" ON "shift_assignments" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND ("app_role"() IN ('admin', 'safety_officer', 'service') OR "user_id" = "app_user_id"()));
CREATE POLICY "shift_assignments_write" ON "shift_assignments" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'service'))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'service'));

CREATE POLICY "equipment_operators_select" ON "equipment_operators" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND ("app_role"() IN ('admin', 'safety_officer', 'service') OR "user_id" = "app_user_id"()));
CREATE POLICY "equipment_operators_write" ON "equipment_operators" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'service'))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'service'));

-- courses: full for admin/safety officer, read for everyone in the tenant.
CREATE POLICY "training_courses_select" ON "training_courses" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "training_courses_write" ON "training_courses" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));

-- assignments: full for admin/safety officer; integrations create and read; a
-- worker reads and updates (start/complete) only their own.
CREATE POLICY "training_assignments_select" ON "training_assignments" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service') OR "user_id" = "app_user_id"()));
CREATE POLICY "training_assignments_insert" ON "training_assignments" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer', 'service'));
CREATE POLICY "training_assignments_update" ON "training_assignments" FOR UPDATE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service')
                OR ("app_role"() = 'worker' AND "user_id" = "app_user_id"())))
    WITH CHECK ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service')
                OR ("app_role"() = 'worker' AND "user_id" = "app_user_id"())));
CREATE POLICY "training_assignments_delete" ON "training_assignments" FOR DELETE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));

-- Row policies cannot restrict columns per role, so a trigger narrows what a
-- worker (start/complete own) and an integration (overdue sweep) may change.
CREATE FUNCTION "training_assignments_guard_update"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_role TEXT := "app_role"();
BEGIN
    IF v_role IN ('worker', 'service') AND (
        NEW.tenant_id, NEW.course_id, NEW.user_id, NEW.assigned_by, NEW.assignment_type,
        NEW.assignment_reason, NEW.due_date, NEW.assigned_at, NEW.cancelled_at, NEW.cancelled_by,
        NEW.cancel_reason, NEW.trigger_score_id, NEW.trigger_score, NEW.trigger_threshold,
        NEW.trigger_entity_type, NEW.trigger_entity_id, NEW.created_at
    ) IS DISTINCT FROM (
        OLD.tenant_id, OLD.course_id, OLD.user_id, OLD.assigned_by, OLD.assignment_type,
        OLD.assignment_reason, OLD.due_date, OLD.assigned_at, OLD.cancelled_at, OLD.cancelled_by,
        OLD.cancel_reason, OLD.trigger_score_id, OLD.trigger_score, OLD.trigger_threshold,
        OLD.trigger_entity_type, OLD.trigger_entity_id, OLD.created_at
    ) THEN
        RAISE EXCEPTION 'role % may only change the progress of an assignment', v_role
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF v_role = 'worker' AND NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM 'cancelled' THEN
        RAISE EXCEPTION 'a worker may not cancel an assignment' USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- Cancelled and completed are final for a worker: restarting one would undo
    -- a manager's cancellation or a recorded completion.
    IF v_role = 'worker' AND OLD.status IN ('cancelled', 'completed') AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'a worker may not change a % assignment', OLD.status USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF v_role = 'service' AND (NEW.status <> 'overdue' OR OLD.status NOT IN ('assigned', 'in_progress', 'overdue')
                               OR NEW.started_at IS DISTINCT FROM OLD.started_at
                               OR NEW.completed_at IS DISTINCT FROM OLD.completed_at) THEN
        RAISE EXCEPTION 'an integration may only mark active assignments overdue' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER "training_assignments_guard_update" BEFORE UPDATE ON "training_assignments"
    FOR EACH ROW EXECUTE FUNCTION "training_assignments_guard_update"();

-- completions: full for admin/safety officer, read for integrations; a worker
-- reads and creates (by completing) only their own. Every completion must match
-- its assignment's course and user.
CREATE POLICY "training_completions_select" ON "training_completions" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service') OR "user_id" = "app_user_id"()));
CREATE POLICY "training_completions_insert" ON "training_completions" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer') OR ("app_role"() = 'worker' AND "user_id" = "app_user_id"()))
           AND EXISTS (SELECT 1 FROM "training_assignments" a
                       WHERE a.tenant_id = "training_completions".tenant_id
                         AND a.id = "training_completions".assignment_id
                         AND a.course_id = "training_completions".course_id
                         AND a.user_id = "training_completions".user_id));
CREATE POLICY "training_completions_modify" ON "training_completions" FOR UPDATE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));
CREATE POLICY "training_completions_delete" ON "training_completions" FOR DELETE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));

-- New assignments are announced after commit (NOTIFY is transactional: a rolled
-- back insert announces nothing). One statement-level trigger batches the ids so
-- a bulk auto-assignment sends a few notifications, not one per row; payloads
-- carry ids only and stay well under PostgreSQL's 8000-byte limit.
CREATE FUNCTION "training_assignments_notify_created"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_batch RECORD;
BEGIN
    FOR v_batch IN
        SELECT r.tenant_id, json_agg(json_build_array(r.id, r.user_id)) AS items
        FROM (SELECT n.tenant_id, n.id, n.user_id,
                     (row_number() OVER (PARTITION BY n.tenant_id ORDER BY n.id) - 1) / 80 AS chunk
              FROM "new_assignments" n) r
        GROUP BY r.tenant_id, r.chunk
    LOOP
        PERFORM pg_notify('training_assignment_created',
            json_build_object('tenantId', v_batch.tenant_id, 'assignments', v_batch.items)::text);
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER "training_assignments_notify_created" AFTER INSERT ON "training_assignments"
    REFERENCING NEW TABLE AS "new_assignments"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_assignments_notify_created"();

-- Persist overdue status (the scheduled/on-demand sweep). Reads never depend on
-- it having run; it keeps stored rows and indexes honest. Runs under RLS.
CREATE FUNCTION "mark_overdue_training_assignments"() RETURNS BIGINT LANGUAGE sql AS $$
    WITH swept AS (
        UPDATE "training_assignments" SET "status" = 'overdue'
        WHERE "status" IN ('assigned', 'in_progress') AND "due_date" < "training_today"()
        RETURNING 1
    )
    SELECT count(*) FROM swept
$$;

-- Helper functions kept from the original module. SECURITY INVOKER (the
-- default): they run under the caller's RLS, so a worker sees only their own.
CREATE FUNCTION "get_user_training_assignments"(p_tenant_id UUID, p_user_id UUID, p_status TEXT DEFAULT NULL)
RETURNS TABLE (
    id UUID, tenant_id UUID, course_id UUID, user_id UUID, assigned_by UUID,
    assignment_type TEXT, assignment_reason TEXT, due_date DATE, status TEXT,
    assigned_at TIMESTAMPTZ, started_at TIMESTAMPTZ, completed_at TIMESTAMPTZ,
    course_title TEXT, course_category TEXT, course_duration_minutes INTEGER
) LANGUAGE sql STABLE AS $$
    SELECT a.id, a.tenant_id, a.course_id, a.user_id, a.assigned_by,
           a.assignment_type, a.assignment_reason, a.due_date,
           "training_effective_status"(a.status, a.due_date),
           a.assigned_at, a.started_at, a.completed_at,
           c.title, c.category, c.duration_minutes
    FROM "training_assignments" a
    JOIN "training_courses" c ON c.tenant_id = a.tenant_id AND c.id = a.course_id
    WHERE a.tenant_id = p_tenant_id
      AND a.user_id = p_user_id
      AND (p_status IS NULL OR "training_effective_status"(a.status, a.due_date) = p_status)
    ORDER BY a.due_date NULLS LAST, a.assigned_at DESC
$$;

-- The original's seven figures, for the tenant or (p_user_id) one user.
-- Cancelled assignments are not counted in total_assignments (withdrawn work,
-- not incomplete work); completion_rate is a percentage with two decimals;
-- avg_completion_time is the mean completion_time_minutes of passed
-- completions (0 when there are none). Under RLS a worker only ever counts
-- their own assignments.
CREATE FUNCTION "get_training_analytics"(p_tenant_id UUID, p_user_id UUID DEFAULT NULL)
RETURNS TABLE (
    total_courses BIGINT, total_assignments BIGINT, completed_count BIGINT,
    in_progress_count BIGINT, overdue_count BIGINT, completion_rate NUMERIC,
    avg_completion_time NUMERIC
) LANGUAGE sql STABLE AS $$
    WITH a AS (
        SELECT count(*) FILTER (WHERE s <> 'cancelled') AS total,
               count(*) FILTER (WHERE s = 'completed') AS completed,
               count(*) FILTER (WHERE s = 'in_progress') AS in_progress,
               count(*) FILTER (WHERE s = 'overdue') AS overdue
        FROM (SELECT "training_effective_status"(status, due_date) AS s
              FROM "training_assignments"
              WHERE tenant_id = p_tenant_id AND (p_user_id IS NULL OR user_id = p_user_id)) t
    )
    SELECT (SELECT count(*) FROM "training_courses" WHERE tenant_id = p_tenant_id),
           a.total, a.completed, a.in_progress, a.overdue,
           CASE WHEN a.total = 0 THEN 0 ELSE round(a.completed * 100.0 / a.total, 2) END,
           COALESCE((SELECT round(avg(completion_time_minutes), 2) FROM "training_completions"
                     WHERE tenant_id = p_tenant_id AND passed
                       AND (p_user_id IS NULL OR user_id = p_user_id)), 0)
    FROM a
$$;
