-- Notifications (an outbox written in the event's own transaction, delivered by
-- e-mail by src/notifications/deliverer.ts) and recertification.

-- Recertification: a course's window before a passed completion's expiry in
-- which a renewal is assigned (null: off), and the completion an assignment renews.
ALTER TABLE "training_courses" ADD COLUMN "recertify_days_before" INTEGER DEFAULT 30
    CONSTRAINT "training_courses_recertify_days_before_check"
    CHECK ("recertify_days_before" IS NULL OR "recertify_days_before" BETWEEN 0 AND 365);
ALTER TABLE "training_assignments" ADD COLUMN "recertification_of" UUID
    CONSTRAINT "training_assignments_recertification_of_fkey"
    REFERENCES "training_completions" ("id") ON DELETE SET NULL;
-- Once per completion, whatever runs race: a database invariant.
CREATE UNIQUE INDEX "training_assignments_one_per_recertified_completion"
    ON "training_assignments" ("recertification_of") WHERE "recertification_of" IS NOT NULL;

-- Nobody re-points a renewal at another completion (the guard trigger of the
-- security migration narrows the other columns per role).
CREATE FUNCTION "training_assignments_keep_recertification_of"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.recertification_of IS DISTINCT FROM OLD.recertification_of AND NEW.recertification_of IS NOT NULL THEN
        RAISE EXCEPTION 'recertification_of cannot be changed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER "training_assignments_keep_recertification_of" BEFORE UPDATE OF "recertification_of"
    ON "training_assignments" FOR EACH ROW EXECUTE FUNCTION "training_assignments_keep_recertification_of"();

-- The outbox: one row per (recipient, kind, subject), ever. `subject` names the
-- thing the notification is about so a repeated run finds the row it already
-- wrote: the assignment id (created, recertification), the assignment and its
-- due date (due soon, overdue), the completion id (certificate expiring, risk
-- not reduced). The e-mail columns are the deliverer's state.
CREATE TABLE "notifications" (
    "id"                    UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"             UUID NOT NULL,
    "user_id"               UUID NOT NULL,
    "kind"                  TEXT NOT NULL CHECK ("kind" IN ('assignment_created', 'due_soon', 'overdue',
                                'certificate_expiring', 'recertification_assigned', 'risk_not_reduced')),
    "assignment_id"         UUID REFERENCES "training_assignments" ("id") ON DELETE CASCADE,
    "completion_id"         UUID REFERENCES "training_completions" ("id") ON DELETE CASCADE,
    "subject"               TEXT NOT NULL,
    "created_at"            TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "read_at"               TIMESTAMPTZ(6),
    "email_status"          TEXT NOT NULL DEFAULT 'pending'
                                CHECK ("email_status" IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    "email_attempts"        INTEGER NOT NULL DEFAULT 0,
    -- pending: not before this; sending: the claim's lease ends then.
    "email_next_attempt_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "email_sent_at"         TIMESTAMPTZ(6),
    "email_last_error"      TEXT,
    CONSTRAINT "notifications_once" UNIQUE ("tenant_id", "user_id", "kind", "subject")
);
CREATE INDEX "notifications_tenant_id_user_id_created_at_idx"
    ON "notifications" ("tenant_id", "user_id", "created_at" DESC);
CREATE INDEX "notifications_assignment_id_idx" ON "notifications" ("assignment_id");
CREATE INDEX "notifications_completion_id_idx" ON "notifications" ("completion_id");
-- The deliverer's queue: only rows still to send.
CREATE INDEX "notifications_email_queue"
    ON "notifications" ("email_next_attempt_at") WHERE "email_status" IN ('pending', 'sending');

-- Per user: the kinds they get no e-mail for (the in-app notification stays).
CREATE TABLE "notification_preferences" (
    "tenant_id"       UUID NOT NULL,
    "user_id"         UUID NOT NULL,
    "email_opt_out"   TEXT[] NOT NULL DEFAULT '{}',
    "updated_at"      TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    PRIMARY KEY ("tenant_id", "user_id")
);

ALTER TABLE "notifications"            ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "notification_preferences" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON "notifications" TO "training_app";
-- A request may only mark its own notifications read; the e-mail state is the deliverer's.
GRANT UPDATE ("read_at") ON "notifications" TO "training_app";
GRANT SELECT, INSERT, UPDATE ON "notification_preferences" TO "training_app";

-- A worker reads only their own notifications, and everyone marks only their
-- own read. The roles that cause events (admin, safety officer, integrations
-- and the scheduler as 'service') write them and may also read the tenant's:
-- they already read every assignment and completion a notification is about,
-- and INSERT … ON CONFLICT (how a repeated event finds its row) requires the
-- new row to pass the SELECT policy. The API still shows each user only their
-- own (myNotifications filters by the caller).
CREATE POLICY "notifications_select" ON "notifications" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("user_id" = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer', 'service')));
CREATE POLICY "notifications_insert" ON "notifications" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer', 'service'));
CREATE POLICY "notifications_update" ON "notifications" FOR UPDATE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "user_id" = "app_user_id"())
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "user_id" = "app_user_id"());

CREATE POLICY "notification_preferences_own" ON "notification_preferences" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "user_id" = "app_user_id"())
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "user_id" = "app_user_id"());

-- ASSIGNMENT_CREATED (RECERTIFICATION_ASSIGNED for a renewal, instead) for
-- every new assignment, in the inserting statement's transaction: one
-- set-based INSERT … SELECT per statement from its transition table, so an
-- auto-assignment of 100k rows writes its notifications without a round trip
-- per row, and a rolled-back insert leaves none. Runs as the inserting caller
-- (SECURITY INVOKER): RLS lets the roles that may create assignments write them.
CREATE FUNCTION "training_assignments_outbox_created"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO "notifications" ("tenant_id", "user_id", "kind", "assignment_id", "completion_id", "subject")
    SELECT n.tenant_id, n.user_id,
           CASE WHEN n.recertification_of IS NULL THEN 'assignment_created' ELSE 'recertification_assigned' END,
           n.id, n.recertification_of, n.id::text
    FROM "new_assignments" n
    ON CONFLICT ("tenant_id", "user_id", "kind", "subject") DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER "training_assignments_outbox_created" AFTER INSERT ON "training_assignments"
    REFERENCING NEW TABLE AS "new_assignments"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_assignments_outbox_created"();

-- The new scheduled jobs: reminders (DUE_SOON, OVERDUE) and recertification
-- (renewals and CERTIFICATE_EXPIRING).
ALTER TABLE "scheduled_job_runs" DROP CONSTRAINT "scheduled_job_runs_job_check";
ALTER TABLE "scheduled_job_runs" ADD CONSTRAINT "scheduled_job_runs_job_check"
    CHECK ("job" IN ('auto_assign', 'overdue_sweep', 'reminders', 'recertification'));

-- The scheduler's enumeration learns the two jobs; "training_scheduler" sees
-- only the columns and rows that make a tenant due for them.
GRANT SELECT ("recertify_days_before") ON "training_courses" TO "training_scheduler";
GRANT SELECT ("tenant_id", "passed", "expires_at") ON "training_completions" TO "training_scheduler";
CREATE POLICY "training_assignments_scheduler_reminders" ON "training_assignments" FOR SELECT TO "training_scheduler"
    USING ("status" IN ('assigned', 'in_progress', 'overdue') AND "due_date" IS NOT NULL);
CREATE POLICY "training_completions_scheduler" ON "training_completions" FOR SELECT TO "training_scheduler"
    USING ("passed" AND "expires_at" >= "training_today"());
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
$$;

-- E-mail delivery claims rows of every tenant at once. RLS (forced) rightly
-- gives "training_app" no cross-tenant view, and per-tenant claims would cost
-- an enumeration and a transaction per tenant on every poll; so, as with
-- scheduled_job_tenants(), two SECURITY DEFINER functions owned by a role that
-- can log in nowhere and see nothing else do exactly this and no more:
--   * notification_emails_claim(limit, lease) locks due rows FOR UPDATE SKIP
--     LOCKED (two deliverers never claim the same row), marks them 'sending'
--     with a lease and returns what the message needs: the recipient's address
--     and name, whether they opted out, course title and dates;
--   * notification_email_finish(id, status, error, retry_at) records the outcome
--     of a row that is 'sending', and nothing else.
-- Only "training_app" may execute them; "training_mailer" reads only the
-- columns they name and updates only the e-mail columns.
DO $$
BEGIN
    CREATE ROLE "training_mailer" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;
DO $$
BEGIN
    EXECUTE format('GRANT "training_mailer" TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN
    NULL;
END $$;
GRANT USAGE ON SCHEMA public TO "training_mailer";
GRANT SELECT ("id", "tenant_id", "user_id", "kind", "assignment_id", "completion_id", "email_status",
              "email_attempts", "email_next_attempt_at") ON "notifications" TO "training_mailer";
GRANT UPDATE ("email_status", "email_attempts", "email_next_attempt_at", "email_sent_at", "email_last_error")
    ON "notifications" TO "training_mailer";
GRANT SELECT ("tenant_id", "id", "display_name", "email") ON "profiles" TO "training_mailer";
GRANT SELECT ("tenant_id", "user_id", "email_opt_out") ON "notification_preferences" TO "training_mailer";
GRANT SELECT ("tenant_id", "id", "course_id", "due_date") ON "training_assignments" TO "training_mailer";
GRANT SELECT ("tenant_id", "id", "course_id", "expires_at") ON "training_completions" TO "training_mailer";
GRANT SELECT ("tenant_id", "id", "title") ON "training_courses" TO "training_mailer";
CREATE POLICY "notifications_mailer_select" ON "notifications" FOR SELECT TO "training_mailer" USING (true);
-- Only rows still to send (FOR UPDATE applies this policy to the claim's locks too).
CREATE POLICY "notifications_mailer_update" ON "notifications" FOR UPDATE TO "training_mailer"
    USING ("email_status" IN ('pending', 'sending')) WITH CHECK (true);
CREATE POLICY "profiles_mailer" ON "profiles" FOR SELECT TO "training_mailer" USING (true);
CREATE POLICY "notification_preferences_mailer" ON "notification_preferences" FOR SELECT TO "training_mailer" USING (true);
CREATE POLICY "training_assignments_mailer" ON "training_assignments" FOR SELECT TO "training_mailer" USING (true);
CREATE POLICY "training_completions_mailer" ON "training_completions" FOR SELECT TO "training_mailer" USING (true);
CREATE POLICY "training_courses_mailer" ON "training_courses" FOR SELECT TO "training_mailer" USING (true);

CREATE FUNCTION "notification_emails_claim"(p_limit INTEGER, p_lease_seconds INTEGER)
RETURNS TABLE (
    id UUID, tenant_id UUID, user_id UUID, kind TEXT, attempts INTEGER, assignment_id UUID,
    email TEXT, display_name TEXT, opted_out BOOLEAN, course_title TEXT, due_date DATE, expires_at DATE
) LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH due AS (
        SELECT n.id FROM "notifications" n
        WHERE n.email_status IN ('pending', 'sending') AND n.email_next_attempt_at <= now()
        ORDER BY n.email_next_attempt_at
        LIMIT least(greatest(p_limit, 1), 500)
        FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE "notifications" n
        SET email_status = 'sending', email_attempts = n.email_attempts + 1,
            email_next_attempt_at = now() + make_interval(secs => greatest(p_lease_seconds, 1))
        FROM due WHERE n.id = due.id
        RETURNING n.id, n.tenant_id, n.user_id, n.kind, n.email_attempts, n.assignment_id, n.completion_id
    )
    SELECT c.id, c.tenant_id, c.user_id, c.kind, c.email_attempts, c.assignment_id,
           p.email, p.display_name,
           COALESCE(c.kind = ANY (np.email_opt_out), false),
           co.title, a.due_date, tc.expires_at
    FROM claimed c
    LEFT JOIN "profiles" p ON p.tenant_id = c.tenant_id AND p.id = c.user_id
    LEFT JOIN "notification_preferences" np ON np.tenant_id = c.tenant_id AND np.user_id = c.user_id
    LEFT JOIN "training_assignments" a ON a.id = c.assignment_id
    LEFT JOIN "training_completions" tc ON tc.id = c.completion_id
    LEFT JOIN "training_courses" co ON co.tenant_id = c.tenant_id AND co.id = COALESCE(a.course_id, tc.course_id)
$$;

CREATE FUNCTION "notification_email_finish"(p_id UUID, p_status TEXT, p_error TEXT, p_retry_at TIMESTAMPTZ)
RETURNS BOOLEAN LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH done AS (
        UPDATE "notifications"
        SET email_status = p_status,
            email_sent_at = CASE WHEN p_status = 'sent' THEN now() END,
            email_last_error = left(p_error, 1000),
            email_next_attempt_at = COALESCE(p_retry_at, email_next_attempt_at)
        WHERE id = p_id AND email_status = 'sending' AND p_status IN ('pending', 'sent', 'failed', 'skipped')
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM done)
$$;

REVOKE ALL ON FUNCTION "notification_emails_claim"(INTEGER, INTEGER) FROM PUBLIC;
REVOKE ALL ON FUNCTION "notification_email_finish"(UUID, TEXT, TEXT, TIMESTAMPTZ) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "notification_emails_claim"(INTEGER, INTEGER) TO "training_app";
GRANT EXECUTE ON FUNCTION "notification_email_finish"(UUID, TEXT, TEXT, TIMESTAMPTZ) TO "training_app";
GRANT CREATE ON SCHEMA public TO "training_mailer";
ALTER FUNCTION "notification_emails_claim"(INTEGER, INTEGER) OWNER TO "training_mailer";
ALTER FUNCTION "notification_email_finish"(UUID, TEXT, TEXT, TIMESTAMPTZ) OWNER TO "training_mailer";
REVOKE CREATE ON SCHEMA public FROM "training_mailer";
