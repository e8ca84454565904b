-- Row triggers in place of the statement triggers with transition tables: a database
-- distributed by tenant_id (Citus) runs a table's triggers on each shard, where no
-- transition table exists. Each trigger keeps its name (same firing order) and does the
-- same work for one row. What a statement now costs: one trigger call per row it writes.
-- training_assignments_notify_created stays a statement trigger: its batches of 80 ids keep
-- the hub's delivery to a few statements per burst, and on Citus its NOTIFY would fire on a
-- worker, not where the API listens; it goes when the API raises the event itself.

-- ---------------------------------------------------------------------------------
-- Analytics counters. A row moves between at most two buckets of each counter table;
-- both are written in key order (as the statement triggers sorted theirs), so two
-- writers moving rows between the same buckets lock them in the same order. Writers
-- of the same bucket wait for each other, as they did.
-- ---------------------------------------------------------------------------------
DROP TRIGGER "training_assignment_counts_insert" ON "training_assignments";
DROP TRIGGER "training_assignment_counts_update" ON "training_assignments";
DROP TRIGGER "training_assignment_counts_delete" ON "training_assignments";
DROP TRIGGER "training_completion_counts_insert" ON "training_completions";
DROP TRIGGER "training_completion_counts_update" ON "training_completions";
DROP TRIGGER "training_completion_counts_delete" ON "training_completions";

CREATE OR REPLACE FUNCTION "training_assignment_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    -- Whether the row leaves (old) and enters (new) a bucket of each table; a bucket it stays in is left alone.
    v_old BOOLEAN := TG_OP <> 'INSERT';
    v_new BOOLEAN := TG_OP <> 'DELETE';
    v_old_due BOOLEAN := TG_OP <> 'INSERT' AND OLD.status IN ('assigned', 'in_progress') AND OLD.due_date IS NOT NULL;
    v_new_due BOOLEAN := TG_OP <> 'DELETE' AND NEW.status IN ('assigned', 'in_progress') AND NEW.due_date IS NOT NULL;
    v_step INT;
    v_n BIGINT;
BEGIN
    IF v_old AND v_new AND (OLD.tenant_id, OLD.course_id, OLD.status) = (NEW.tenant_id, NEW.course_id, NEW.status) THEN
        v_old := false; v_new := false;
    END IF;
    IF v_old_due AND v_new_due
       AND (OLD.tenant_id, OLD.due_date, OLD.course_id, OLD.status) = (NEW.tenant_id, NEW.due_date, NEW.course_id, NEW.status) THEN
        v_old_due := false; v_new_due := false;
    END IF;

    -- training_assignment_counts, then training_assignment_due_counts; in each, the lower key first.
    FOR v_step IN 1..2 LOOP
        IF v_new AND ((v_step = 1) = (NOT v_old OR (NEW.tenant_id, NEW.course_id, NEW.status) < (OLD.tenant_id, OLD.course_id, OLD.status))) THEN
            INSERT INTO "training_assignment_counts" AS c ("tenant_id", "course_id", "status", "n")
            VALUES (NEW.tenant_id, NEW.course_id, NEW.status, 1)
            ON CONFLICT ("tenant_id", "course_id", "status") DO UPDATE SET "n" = c."n" + 1;
        ELSIF v_old AND ((v_step = 1) = (NOT v_new OR (OLD.tenant_id, OLD.course_id, OLD.status) < (NEW.tenant_id, NEW.course_id, NEW.status))) THEN
            INSERT INTO "training_assignment_counts" AS c ("tenant_id", "course_id", "status", "n")
            VALUES (OLD.tenant_id, OLD.course_id, OLD.status, -1)
            ON CONFLICT ("tenant_id", "course_id", "status") DO UPDATE SET "n" = c."n" - 1
            RETURNING c."n" INTO v_n;
            IF v_n = 0 THEN
                DELETE FROM "training_assignment_counts" c
                WHERE c.tenant_id = OLD.tenant_id AND c.course_id = OLD.course_id AND c.status = OLD.status AND c.n = 0;
            END IF;
        END IF;
    END LOOP;
    FOR v_step IN 1..2 LOOP
        IF v_new_due AND ((v_step = 1) = (NOT v_old_due OR (NEW.tenant_id, NEW.due_date, NEW.course_id, NEW.status)
                                                             < (OLD.tenant_id, OLD.due_date, OLD.course_id, OLD.status))) THEN
            INSERT INTO "training_assignment_due_counts" AS c ("tenant_id", "due_date", "course_id", "status", "n")
            VALUES (NEW.tenant_id, NEW.due_date, NEW.course_id, NEW.status, 1)
            ON CONFLICT ("tenant_id", "due_date", "course_id", "status") DO UPDATE SET "n" = c."n" + 1;
        ELSIF v_old_due AND ((v_step = 1) = (NOT v_new_due OR (OLD.tenant_id, OLD.due_date, OLD.course_id, OLD.status)
                                                                < (NEW.tenant_id, NEW.due_date, NEW.course_id, NEW.status))) THEN
            INSERT INTO "training_assignment_due_counts" AS c ("tenant_id", "due_date", "course_id", "status", "n")
            VALUES (OLD.tenant_id, OLD.due_date, OLD.course_id, OLD.status, -1)
            ON CONFLICT ("tenant_id", "due_date", "course_id", "status") DO UPDATE SET "n" = c."n" - 1
            RETURNING c."n" INTO v_n;
            IF v_n = 0 THEN
                DELETE FROM "training_assignment_due_counts" c
                WHERE c.tenant_id = OLD.tenant_id AND c.due_date = OLD.due_date AND c.course_id = OLD.course_id
                  AND c.status = OLD.status AND c.n = 0;
            END IF;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION "training_completion_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    -- A passed completion counts in its course's bucket; a failed attempt counts nowhere.
    v_old BOOLEAN := TG_OP <> 'INSERT' AND OLD.passed;
    v_new BOOLEAN := TG_OP <> 'DELETE' AND NEW.passed;
    v_step INT;
    v_n BIGINT;
BEGIN
    IF v_old AND v_new AND (OLD.tenant_id, OLD.course_id) = (NEW.tenant_id, NEW.course_id) THEN
        -- Same bucket: only the figures move (the trigger's WHEN says one did).
        UPDATE "training_completion_counts" k SET
            "minutes_sum"   = k."minutes_sum" + coalesce(NEW.completion_time_minutes, 0) - coalesce(OLD.completion_time_minutes, 0),
            "minutes_count" = k."minutes_count" + (NEW.completion_time_minutes IS NOT NULL)::int
                                                - (OLD.completion_time_minutes IS NOT NULL)::int,
            "score_sum"     = k."score_sum" + coalesce(NEW.score, 0) - coalesce(OLD.score, 0),
            "score_count"   = k."score_count" + (NEW.score IS NOT NULL)::int - (OLD.score IS NOT NULL)::int
        WHERE k.tenant_id = NEW.tenant_id AND k.course_id = NEW.course_id;
        RETURN NULL;
    END IF;

    -- The lower key first.
    FOR v_step IN 1..2 LOOP
        IF v_new AND ((v_step = 1) = (NOT v_old OR (NEW.tenant_id, NEW.course_id) < (OLD.tenant_id, OLD.course_id))) THEN
            INSERT INTO "training_completion_counts" AS k
                ("tenant_id", "course_id", "passed_count", "minutes_sum", "minutes_count", "score_sum", "score_count")
            VALUES (NEW.tenant_id, NEW.course_id, 1, coalesce(NEW.completion_time_minutes, 0),
                    (NEW.completion_time_minutes IS NOT NULL)::int, coalesce(NEW.score, 0), (NEW.score IS NOT NULL)::int)
            ON CONFLICT ("tenant_id", "course_id") DO UPDATE SET
                "passed_count"  = k."passed_count"  + 1,
                "minutes_sum"   = k."minutes_sum"   + EXCLUDED."minutes_sum",
                "minutes_count" = k."minutes_count" + EXCLUDED."minutes_count",
                "score_sum"     = k."score_sum"     + EXCLUDED."score_sum",
                "score_count"   = k."score_count"   + EXCLUDED."score_count";
        ELSIF v_old AND ((v_step = 1) = (NOT v_new OR (OLD.tenant_id, OLD.course_id) < (NEW.tenant_id, NEW.course_id))) THEN
            INSERT INTO "training_completion_counts" AS k
                ("tenant_id", "course_id", "passed_count", "minutes_sum", "minutes_count", "score_sum", "score_count")
            VALUES (OLD.tenant_id, OLD.course_id, -1, -coalesce(OLD.completion_time_minutes, 0),
                    -(OLD.completion_time_minutes IS NOT NULL)::int, -coalesce(OLD.score, 0), -(OLD.score IS NOT NULL)::int)
            ON CONFLICT ("tenant_id", "course_id") DO UPDATE SET
                "passed_count"  = k."passed_count"  - 1,
                "minutes_sum"   = k."minutes_sum"   + EXCLUDED."minutes_sum",
                "minutes_count" = k."minutes_count" + EXCLUDED."minutes_count",
                "score_sum"     = k."score_sum"     + EXCLUDED."score_sum",
                "score_count"   = k."score_count"   + EXCLUDED."score_count"
            RETURNING k."passed_count" INTO v_n;
            IF v_n = 0 THEN
                DELETE FROM "training_completion_counts" k
                WHERE k.tenant_id = OLD.tenant_id AND k.course_id = OLD.course_id AND k.passed_count = 0;
            END IF;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- An AFTER row trigger sees the row as stored (after the BEFORE triggers), so they count
-- what was stored. An update that moves no row between buckets calls nothing.
CREATE TRIGGER "training_assignment_counts_insert" AFTER INSERT ON "training_assignments"
    FOR EACH ROW EXECUTE FUNCTION "training_assignment_counts_apply"();
CREATE TRIGGER "training_assignment_counts_update" AFTER UPDATE ON "training_assignments"
    FOR EACH ROW WHEN ((OLD.tenant_id, OLD.course_id, OLD.status, OLD.due_date)
                       IS DISTINCT FROM (NEW.tenant_id, NEW.course_id, NEW.status, NEW.due_date))
    EXECUTE FUNCTION "training_assignment_counts_apply"();
CREATE TRIGGER "training_assignment_counts_delete" AFTER DELETE ON "training_assignments"
    FOR EACH ROW EXECUTE FUNCTION "training_assignment_counts_apply"();
CREATE TRIGGER "training_completion_counts_insert" AFTER INSERT ON "training_completions"
    FOR EACH ROW WHEN (NEW.passed) EXECUTE FUNCTION "training_completion_counts_apply"();
CREATE TRIGGER "training_completion_counts_update" AFTER UPDATE ON "training_completions"
    FOR EACH ROW WHEN ((OLD.passed OR NEW.passed)
                       AND (OLD.tenant_id, OLD.course_id, OLD.passed, OLD.completion_time_minutes, OLD.score)
                       IS DISTINCT FROM (NEW.tenant_id, NEW.course_id, NEW.passed, NEW.completion_time_minutes, NEW.score))
    EXECUTE FUNCTION "training_completion_counts_apply"();
CREATE TRIGGER "training_completion_counts_delete" AFTER DELETE ON "training_completions"
    FOR EACH ROW WHEN (OLD.passed) EXECUTE FUNCTION "training_completion_counts_apply"();

-- ---------------------------------------------------------------------------------
-- The outbox: each new assignment's e-mail, in the inserting transaction.
-- ---------------------------------------------------------------------------------
DROP TRIGGER "training_assignments_outbox_created" ON "training_assignments";
DROP FUNCTION "training_assignments_outbox_created"();
CREATE FUNCTION "training_assignments_outbox_created"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO "notifications" ("tenant_id", "user_id", "kind", "assignment_id", "completion_id", "subject")
    VALUES (NEW.tenant_id, NEW.user_id,
            CASE WHEN NEW.recertification_of IS NULL THEN 'assignment_created' ELSE 'recertification_assigned' END,
            NEW.id, NEW.recertification_of, NEW.id::text)
    ON CONFLICT ("tenant_id", "user_id", "kind", "subject") DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER "training_assignments_outbox_created" AFTER INSERT ON "training_assignments"
    FOR EACH ROW EXECUTE FUNCTION "training_assignments_outbox_created"();

-- Completions (new, changed, deleted), new or changed shifts, new operators, changed
-- certificates: the user concerned. PostgreSQL sends a transaction's identical payloads
-- once, so a user is announced once per transaction however many of their rows change.
DROP TRIGGER "training_completions_qualification_insert" ON "training_completions";
DROP TRIGGER "training_completions_qualification_update" ON "training_completions";
DROP TRIGGER "training_completions_qualification_delete" ON "training_completions";
DROP TRIGGER "shift_assignments_qualification_insert" ON "shift_assignments";
DROP TRIGGER "shift_assignments_qualification_update" ON "shift_assignments";
DROP TRIGGER "equipment_operators_qualification_insert" ON "equipment_operators";
DROP TRIGGER "certificates_qualification_revoked" ON "certificates";
DROP FUNCTION "qualification_changed_rows"();
CREATE FUNCTION "qualification_changed_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM "notify_qualification_changed"(OLD.tenant_id, ARRAY[OLD.user_id]);
    ELSE
        PERFORM "notify_qualification_changed"(NEW.tenant_id, ARRAY[NEW.user_id]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER "training_completions_qualification_insert" AFTER INSERT ON "training_completions"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "training_completions_qualification_update" AFTER UPDATE ON "training_completions"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "training_completions_qualification_delete" AFTER DELETE ON "training_completions"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "shift_assignments_qualification_insert" AFTER INSERT ON "shift_assignments"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "shift_assignments_qualification_update" AFTER UPDATE ON "shift_assignments"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "equipment_operators_qualification_insert" AFTER INSERT ON "equipment_operators"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
CREATE TRIGGER "certificates_qualification_revoked" AFTER UPDATE ON "certificates"
    FOR EACH ROW EXECUTE FUNCTION "qualification_changed_rows"();
