-- Trusted completions: the evidence behind every completion and certificate.
--
-- A course states what completing it takes (requires_quiz, requires_content,
-- requires_practical_evaluation). All false keeps the original contract: the
-- assignee reports a result (source 'self_report'). Otherwise the completion is
-- written by the system (src/completions/evidence.ts), in the transaction that
-- records the piece of evidence meeting the last requirement; an integration
-- (role 'service') may still complete any assignment (source 'integration').
--
-- Who may write what is enforced here, not only by the API:
--   * training_evidence is append-only (no UPDATE or DELETE grant). Admins and
--     safety officers record practical evaluations as themselves, and failed
--     rows of any kind (a retraction); nobody else inserts anything. Features
--     that let a worker's own transaction record evidence (a passed quiz) add
--     their policy for their kind, backed by their own rows.
--   * a BEFORE INSERT trigger on training_completions decides whether the
--     completion may exist and writes what it stood on: a self-report only for
--     a course without requirements, an integration's only by role 'service',
--     and an evidence-sourced one only when the latest evidence of every
--     required kind passed. It writes `evidence` (a snapshot: what the
--     certificate says it stood on, evaluator names as of that day) and the
--     score (the quiz's, else the content's, else the evaluation's) itself, so
--     a caller can forge neither. A trigger rather than policy subqueries: the
--     refusal names its reason, and policies stay simple column comparisons.

ALTER TABLE "training_courses"
    ADD COLUMN "requires_quiz" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "requires_content" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "requires_practical_evaluation" BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE "training_completions"
    ADD COLUMN "source" TEXT NOT NULL DEFAULT 'self_report'
        CONSTRAINT "training_completions_source_check"
        CHECK ("source" IN ('self_report', 'quiz', 'content', 'practical_evaluation', 'integration')),
    ADD COLUMN "evidence" JSONB NOT NULL DEFAULT '[]';

-- Existing completions were self-reported: their evidence is that report (who
-- recorded it is not known). Neither passed nor score changes, so the counters'
-- and qualifications' update triggers have nothing to do and stay off for the
-- backfill; RLS is forced even for the table owner, so it is lifted for this
-- transaction (as the analytics counters' backfill does).
ALTER TABLE "training_completions" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completions"
    DISABLE TRIGGER "training_completion_counts_update",
    DISABLE TRIGGER "training_completions_qualification_update";
UPDATE "training_completions"
SET "evidence" = jsonb_build_array(jsonb_build_object(
    'kind', 'self_report', 'passed', "passed", 'score', "score",
    'recordedAt', coalesce("completed_at", "created_at"), 'recordedBy', NULL, 'recordedByName', NULL));
ALTER TABLE "training_completions"
    ENABLE TRIGGER "training_completion_counts_update",
    ENABLE TRIGGER "training_completions_qualification_update";
ALTER TABLE "training_completions" FORCE ROW LEVEL SECURITY;

CREATE TABLE "training_evidence" (
    "id"            UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id"     UUID NOT NULL,
    "assignment_id" UUID NOT NULL,
    "user_id"       UUID NOT NULL,
    "kind"          TEXT NOT NULL CONSTRAINT "training_evidence_kind_check"
                        CHECK ("kind" IN ('quiz', 'content', 'practical_evaluation')),
    "passed"        BOOLEAN NOT NULL,
    "score"         DECIMAL CONSTRAINT "training_evidence_score_check" CHECK ("score" BETWEEN 0 AND 100),
    "notes"         TEXT CONSTRAINT "training_evidence_notes_check" CHECK (length("notes") <= 5000),
    "recorded_at"   TIMESTAMPTZ(6) NOT NULL DEFAULT clock_timestamp(),
    "recorded_by"   UUID,
    CONSTRAINT "training_evidence_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "training_evidence_tenant_id_id_key" UNIQUE ("tenant_id", "id"),
    CONSTRAINT "training_evidence_tenant_id_assignment_id_fkey" FOREIGN KEY ("tenant_id", "assignment_id")
        REFERENCES "training_assignments" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "training_evidence_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "training_evidence_tenant_id_assignment_id_kind_recorded_at_idx"
    ON "training_evidence" ("tenant_id", "assignment_id", "kind", "recorded_at" DESC);
CREATE INDEX "training_evidence_tenant_id_user_id_idx" ON "training_evidence" ("tenant_id", "user_id");

-- The assignee is the assignment's (a caller cannot name another), and the time
-- is the database's (the latest of a kind is the one recorded last). A row about
-- an assignment the caller cannot see is left as sent, for the policy and the
-- foreign key to refuse.
CREATE FUNCTION "training_evidence_fill"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_user_id UUID;
BEGIN
    NEW.recorded_at := clock_timestamp();
    SELECT a.user_id INTO v_user_id FROM "training_assignments" a
    WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.assignment_id;
    IF FOUND THEN
        NEW.user_id := v_user_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER "training_evidence_fill" BEFORE INSERT ON "training_evidence"
    FOR EACH ROW EXECUTE FUNCTION "training_evidence_fill"();

ALTER TABLE "training_evidence" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON "training_evidence" TO "training_app";
CREATE POLICY "training_evidence_select" ON "training_evidence" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service') OR "user_id" = "app_user_id"()));
CREATE POLICY "training_evidence_insert_officers" ON "training_evidence" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer')
                AND "recorded_by" = "app_user_id"() AND ("kind" = 'practical_evaluation' OR NOT "passed"));

-- The completion's gatekeeper and scribe (see the top of this file).
CREATE FUNCTION "training_completions_evidence"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_required TEXT[];
    v_latest JSONB;
    v_met INTEGER;
BEGIN
    IF NEW.tenant_id IS DISTINCT FROM "app_tenant_id"() AND "app_tenant_id"() IS NOT NULL THEN
        RETURN NEW; -- another tenant's row: the policy refuses it
    END IF;
    SELECT array_remove(ARRAY[
               CASE WHEN c.requires_quiz THEN 'quiz' END,
               CASE WHEN c.requires_content THEN 'content' END,
               CASE WHEN c.requires_practical_evaluation THEN 'practical_evaluation' END], NULL)
    INTO v_required
    FROM "training_courses" c WHERE c.tenant_id = NEW.tenant_id AND c.id = NEW.course_id;
    IF NOT FOUND THEN
        RETURN NEW; -- no such course: the foreign key refuses it
    END IF;
    IF (NEW.source = 'integration') IS DISTINCT FROM coalesce("app_role"() = 'service', false) THEN
        RAISE EXCEPTION 'only an integration records completions of source integration, and only of that source'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.source IN ('self_report', 'integration') THEN
        IF NEW.source = 'self_report' AND cardinality(v_required) > 0 THEN
            RAISE EXCEPTION 'this course is completed by its evidence (%), not by a reported result',
                array_to_string(v_required, ', ') USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.evidence := jsonb_build_array(jsonb_build_object(
            'kind', NEW.source, 'passed', NEW.passed, 'score', NEW.score,
            'recordedAt', coalesce(NEW.completed_at, now()), 'recordedBy', "app_user_id"(),
            'recordedByName', (SELECT p.display_name FROM "profiles" p
                               WHERE p.tenant_id = NEW.tenant_id AND p.id = "app_user_id"())));
        RETURN NEW;
    END IF;
    IF NOT NEW.passed OR NOT (NEW.source = ANY (v_required)) THEN
        RAISE EXCEPTION 'a completion of source % must be passed and the course must require it', NEW.source
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT count(*) FILTER (WHERE l.passed),
           jsonb_agg(jsonb_build_object(
               'kind', l.kind, 'passed', l.passed, 'score', l.score, 'recordedAt', l.recorded_at,
               'recordedBy', l.recorded_by, 'recordedByName', p.display_name) ORDER BY l.recorded_at, l.id)
    INTO v_met, v_latest
    FROM (SELECT DISTINCT ON (e.kind) e.kind, e.passed, e.score, e.recorded_at, e.recorded_by, e.id
          FROM "training_evidence" e
          WHERE e.tenant_id = NEW.tenant_id AND e.assignment_id = NEW.assignment_id AND e.kind = ANY (v_required)
          ORDER BY e.kind, e.recorded_at DESC, e.id DESC) l
    LEFT JOIN "profiles" p ON p.tenant_id = NEW.tenant_id AND p.id = l.recorded_by;
    IF v_met < cardinality(v_required) THEN
        RAISE EXCEPTION 'the course requires passed evidence of each of: %', array_to_string(v_required, ', ')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    NEW.evidence := v_latest;
    -- The quiz's score, else the content's, else the evaluation's.
    NEW.score := (SELECT (e->>'score')::numeric FROM jsonb_array_elements(v_latest) e
                  WHERE e->>'score' IS NOT NULL
                  ORDER BY array_position(ARRAY['quiz', 'content', 'practical_evaluation'], e->>'kind') LIMIT 1);
    RETURN NEW;
END $$;
CREATE TRIGGER "training_completions_evidence" BEFORE INSERT ON "training_completions"
    FOR EACH ROW EXECUTE FUNCTION "training_completions_evidence"();

-- Integrations complete assignments now (their certificates come with them).
DROP POLICY "training_completions_insert" ON "training_completions";
CREATE POLICY "training_completions_insert" ON "training_completions" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service')
                OR ("app_role"() = 'worker' AND "user_id" = "app_user_id"()))
           AND EXISTS (SELECT 1 FROM "training_assignments" a
                       WHERE a.tenant_id = "training_completions".tenant_id
                         AND a.id = "training_completions".assignment_id
                         AND a.course_id = "training_completions".course_id
                         AND a.user_id = "training_completions".user_id));
DROP POLICY "certificates_insert" ON "certificates";
CREATE POLICY "certificates_insert" ON "certificates" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service')
                OR ("app_role"() = 'worker' AND "user_id" = "app_user_id"()))
           AND "revoked_at" IS NULL
           AND EXISTS (SELECT 1 FROM "training_completions" tc
                       JOIN "training_courses" c ON c.tenant_id = tc.tenant_id AND c.id = tc.course_id
                       WHERE tc.id = "certificates".completion_id
                         AND tc.tenant_id = "certificates".tenant_id
                         AND tc.user_id = "certificates".user_id
                         AND tc.course_id = "certificates".course_id
                         AND tc.passed AND c.issues_certificate));

-- As before, plus: an integration may record the result of an active
-- assignment (completed, or assigned again after a failed attempt), started
-- here or not (the training happened in its own system).
CREATE OR REPLACE FUNCTION "training_assignments_guard_update"() RETURNS trigger LANGUAGE plpgsql AS $$
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
    IF v_role = 'service' AND NOT (
        OLD.status IN ('assigned', 'in_progress', 'overdue') AND (
            (NEW.status = 'overdue' AND NEW.started_at IS NOT DISTINCT FROM OLD.started_at
                                    AND NEW.completed_at IS NOT DISTINCT FROM OLD.completed_at)
            OR (NEW.status = 'completed' AND NEW.started_at IS NOT DISTINCT FROM OLD.started_at
                                         AND NEW.completed_at IS NOT NULL)
            OR (NEW.status = 'assigned' AND NEW.started_at IS NULL AND NEW.completed_at IS NULL)))
    THEN
        RAISE EXCEPTION 'an integration may only mark active assignments overdue or record their result'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

-- A completion that stood on evidence no longer passing (a regraded quiz) is
-- retracted, and its holder told.
ALTER TABLE "notifications" DROP CONSTRAINT "notifications_kind_check";
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_kind_check" CHECK ("kind" IN (
    'assignment_created', 'due_soon', 'overdue', 'certificate_expiring', 'recertification_assigned',
    'risk_not_reduced', 'completion_retracted'));

-- The public verify page and PDF show what the certificate stood on: the
-- completion's evidence snapshot (kinds, results, dates, evaluator names), read
-- by the same narrow SECURITY DEFINER function (20261202000300), which now also
-- returns it. Its result type changes, so it is made again with its owner.
GRANT SELECT ("evidence") ON "training_completions" TO "training_certificate_reader";
DROP FUNCTION "verify_certificate"(TEXT);
CREATE FUNCTION "verify_certificate"(p_code TEXT)
RETURNS TABLE (status TEXT, holder_name TEXT, course_title TEXT, completed_at TIMESTAMPTZ,
               issued_at TIMESTAMPTZ, expires_at DATE, evidence JSONB)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM set_config('app.certificate_code', coalesce(p_code, ''), true);
    RETURN QUERY
        SELECT CASE WHEN c.revoked_at IS NOT NULL THEN 'revoked'
                    WHEN c.expires_at < "training_today"() THEN 'expired'
                    ELSE 'valid' END,
               p.display_name, co.title, tc.completed_at, c.issued_at, c.expires_at, tc.evidence
        FROM "certificates" c
        JOIN "profiles" p ON p.tenant_id = c.tenant_id AND p.id = c.user_id
        JOIN "training_courses" co ON co.tenant_id = c.tenant_id AND co.id = c.course_id
        JOIN "training_completions" tc ON tc.id = c.completion_id
        WHERE c.code = p_code;
    PERFORM set_config('app.certificate_code', '', true);
END $$;
REVOKE ALL ON FUNCTION "verify_certificate"(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "verify_certificate"(TEXT) TO "training_app";
GRANT CREATE ON SCHEMA public TO "training_certificate_reader";
ALTER FUNCTION "verify_certificate"(TEXT) OWNER TO "training_certificate_reader";
REVOKE CREATE ON SCHEMA public FROM "training_certificate_reader";
