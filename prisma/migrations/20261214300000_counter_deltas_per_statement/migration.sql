-- The counter row triggers upserted their buckets row by row. A statement that moves many rows
-- into one bucket (a bulk insert of one course, a status update of many rows) then updated that
-- counter row once per row in one transaction, and each update walks every version of the row the
-- transaction made before it (none can be pruned until commit): the time grows with the square of
-- the rows per bucket. Now the row triggers add their deltas to the transaction's settings, one
-- setting per bucket, and a statement trigger writes each bucket once, in key order, and clears
-- them. Statement triggers without transition tables run on a shard like row triggers do.
--
-- The pending deltas live in transaction-local settings (set_config(…, true)): they roll back with
-- a savepoint or the transaction, and unlike a temporary table they leave the transaction free to
-- be prepared (two-phase commit). Slots are a fixed set of names, hashed from the bucket's key
-- (linear probing), so a session never holds more than 1,024 of them; when 512 are in use (probing
-- a fuller table gets long) the pending buckets are written early and the statement goes on.
-- `training_counts.used` counts the slots in use.
--
-- An entry is `kind|key…|delta…`: `a|tenant|course|status|n` (training_assignment_counts),
-- `d|tenant|due_date|course|status|n` (training_assignment_due_counts),
-- `c|tenant|course|passed|minutes_sum|minutes_count|score_sum|score_count` (training_completion_counts).
-- `training_counts.touched` lists the slots in use with their entry's kind (`,a3,d17`), so a
-- statement that changed no bucket of a table does not write it.

CREATE FUNCTION "training_counts_flush_pending"() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_touched TEXT := current_setting('training_counts.touched', true);
    v_slots TEXT[];
    v_entries TEXT[];
    v_emptied BOOLEAN;
BEGIN
    IF v_touched IS NULL OR v_touched = '' THEN
        RETURN;
    END IF;
    v_slots := string_to_array(substr(v_touched, 2), ',');
    SELECT array_agg(current_setting('training_counts.s' || substr(s, 2), true)) INTO v_entries FROM unnest(v_slots) s;
    PERFORM set_config('training_counts.s' || substr(s, 2), '', true) FROM unnest(v_slots) s;
    PERFORM set_config('training_counts.touched', '', true), set_config('training_counts.used', '', true);

    -- Each table's buckets in key order, so writers lock them in the same order.
    IF strpos(v_touched, ',a') > 0 THEN
        WITH e AS (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x),
        up AS (
            INSERT INTO "training_assignment_counts" AS c ("tenant_id", "course_id", "status", "n")
            SELECT p[2]::uuid, p[3]::uuid, p[4], p[5]::bigint FROM e
            WHERE p[1] = 'a' AND p[5]::bigint <> 0
            ORDER BY 1, 2, 3
            ON CONFLICT ("tenant_id", "course_id", "status") DO UPDATE SET "n" = c."n" + EXCLUDED."n"
            RETURNING c."n")
        SELECT bool_or(n = 0) INTO v_emptied FROM up;
        IF v_emptied THEN
            DELETE FROM "training_assignment_counts" c
            USING (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x) e
            WHERE e.p[1] = 'a' AND c.tenant_id = e.p[2]::uuid AND c.course_id = e.p[3]::uuid AND c.status = e.p[4]
              AND c.n = 0;
        END IF;
    END IF;

    IF strpos(v_touched, ',d') > 0 THEN
        WITH e AS (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x),
        up AS (
            INSERT INTO "training_assignment_due_counts" AS c ("tenant_id", "due_date", "course_id", "status", "n")
            SELECT p[2]::uuid, p[3]::date, p[4]::uuid, p[5], p[6]::bigint FROM e
            WHERE p[1] = 'd' AND p[6]::bigint <> 0
            ORDER BY 1, 2, 3, 4
            ON CONFLICT ("tenant_id", "due_date", "course_id", "status") DO UPDATE SET "n" = c."n" + EXCLUDED."n"
            RETURNING c."n")
        SELECT bool_or(n = 0) INTO v_emptied FROM up;
        IF v_emptied THEN
            DELETE FROM "training_assignment_due_counts" c
            USING (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x) e
            WHERE e.p[1] = 'd' AND c.tenant_id = e.p[2]::uuid AND c.due_date = e.p[3]::date
              AND c.course_id = e.p[4]::uuid AND c.status = e.p[5] AND c.n = 0;
        END IF;
    END IF;

    IF strpos(v_touched, ',c') > 0 THEN
        WITH e AS (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x),
        up AS (
            INSERT INTO "training_completion_counts" AS k
                ("tenant_id", "course_id", "passed_count", "minutes_sum", "minutes_count", "score_sum", "score_count")
            SELECT p[2]::uuid, p[3]::uuid, p[4]::bigint, p[5]::bigint, p[6]::bigint, p[7]::numeric, p[8]::bigint FROM e
            WHERE p[1] = 'c' AND (p[4]::bigint, p[5]::bigint, p[6]::bigint, p[7]::numeric, p[8]::bigint) <> (0, 0, 0, 0, 0)
            ORDER BY 1, 2
            ON CONFLICT ("tenant_id", "course_id") DO UPDATE SET
                "passed_count"  = k."passed_count"  + EXCLUDED."passed_count",
                "minutes_sum"   = k."minutes_sum"   + EXCLUDED."minutes_sum",
                "minutes_count" = k."minutes_count" + EXCLUDED."minutes_count",
                "score_sum"     = k."score_sum"     + EXCLUDED."score_sum",
                "score_count"   = k."score_count"   + EXCLUDED."score_count"
            RETURNING k."passed_count")
        SELECT bool_or(passed_count = 0) INTO v_emptied FROM up;
        IF v_emptied THEN
            DELETE FROM "training_completion_counts" k
            USING (SELECT string_to_array(x, '|') p FROM unnest(v_entries) x) e
            WHERE e.p[1] = 'c' AND k.tenant_id = e.p[2]::uuid AND k.course_id = e.p[3]::uuid AND k.passed_count = 0;
        END IF;
    END IF;
END $$;

-- Adds one bucket's deltas to its pending entry (`p_key` is `kind|key…`).
CREATE FUNCTION "training_counts_pending_add"(p_key TEXT, p_deltas NUMERIC[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_slot INT := hashtext(p_key) & 1023;
    v_used INT;
    v_entry TEXT;
BEGIN
    LOOP
        v_entry := current_setting('training_counts.s' || v_slot, true);
        IF v_entry IS NULL OR v_entry = '' THEN
            v_used := coalesce(nullif(current_setting('training_counts.used', true), ''), '0')::int;
            IF v_used >= 512 THEN
                PERFORM "training_counts_flush_pending"(); -- half the slots taken: write them, start over
                v_slot := hashtext(p_key) & 1023;
                v_used := 0;
            END IF;
            PERFORM set_config('training_counts.s' || v_slot, p_key || '|' || array_to_string(p_deltas, '|'), true),
                    set_config('training_counts.touched',
                               concat(current_setting('training_counts.touched', true), ',', left(p_key, 1), v_slot), true),
                    set_config('training_counts.used', (v_used + 1)::text, true);
            RETURN;
        ELSIF starts_with(v_entry, p_key || '|') THEN
            PERFORM set_config('training_counts.s' || v_slot, p_key || '|' || array_to_string(ARRAY(
                SELECT d + x::numeric
                FROM unnest(p_deltas, string_to_array(substr(v_entry, length(p_key) + 2), '|')) AS u(d, x)), '|'), true);
            RETURN;
        END IF;
        v_slot := (v_slot + 1) & 1023;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION "training_assignment_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    -- Whether the row leaves (old) and enters (new) a bucket of each table; a bucket it stays in is left alone.
    v_old BOOLEAN := TG_OP <> 'INSERT';
    v_new BOOLEAN := TG_OP <> 'DELETE';
    v_old_due BOOLEAN := TG_OP <> 'INSERT' AND OLD.status IN ('assigned', 'in_progress') AND OLD.due_date IS NOT NULL;
    v_new_due BOOLEAN := TG_OP <> 'DELETE' AND NEW.status IN ('assigned', 'in_progress') AND NEW.due_date IS NOT NULL;
BEGIN
    IF v_old AND v_new AND (OLD.tenant_id, OLD.course_id, OLD.status) = (NEW.tenant_id, NEW.course_id, NEW.status) THEN
        v_old := false; v_new := false;
    END IF;
    IF v_old_due AND v_new_due
       AND (OLD.tenant_id, OLD.due_date, OLD.course_id, OLD.status) = (NEW.tenant_id, NEW.due_date, NEW.course_id, NEW.status) THEN
        v_old_due := false; v_new_due := false;
    END IF;
    IF v_old THEN
        PERFORM "training_counts_pending_add"(concat_ws('|', 'a', OLD.tenant_id, OLD.course_id, OLD.status), '{-1}');
    END IF;
    IF v_new THEN
        PERFORM "training_counts_pending_add"(concat_ws('|', 'a', NEW.tenant_id, NEW.course_id, NEW.status), '{1}');
    END IF;
    IF v_old_due THEN
        PERFORM "training_counts_pending_add"(
            concat_ws('|', 'd', OLD.tenant_id, OLD.due_date, OLD.course_id, OLD.status), '{-1}');
    END IF;
    IF v_new_due THEN
        PERFORM "training_counts_pending_add"(
            concat_ws('|', 'd', NEW.tenant_id, NEW.due_date, NEW.course_id, NEW.status), '{1}');
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION "training_completion_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- A passed completion counts in its course's bucket; a failed attempt counts nowhere.
    IF TG_OP <> 'INSERT' AND OLD.passed THEN
        PERFORM "training_counts_pending_add"(concat_ws('|', 'c', OLD.tenant_id, OLD.course_id), ARRAY[
            -1, -coalesce(OLD.completion_time_minutes, 0), -(OLD.completion_time_minutes IS NOT NULL)::int,
            -coalesce(OLD.score, 0), -(OLD.score IS NOT NULL)::int]);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.passed THEN
        PERFORM "training_counts_pending_add"(concat_ws('|', 'c', NEW.tenant_id, NEW.course_id), ARRAY[
            1, coalesce(NEW.completion_time_minutes, 0), (NEW.completion_time_minutes IS NOT NULL)::int,
            coalesce(NEW.score, 0), (NEW.score IS NOT NULL)::int]);
    END IF;
    RETURN NULL;
END $$;

-- After the row triggers of the statement (PostgreSQL fires a statement's AFTER STATEMENT
-- triggers after its AFTER ROW triggers), so the statement's counts are written when it returns.
CREATE FUNCTION "training_counts_flush"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM "training_counts_flush_pending"();
    RETURN NULL;
END $$;
CREATE TRIGGER "training_assignment_counts_flush" AFTER INSERT OR UPDATE OR DELETE ON "training_assignments"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_counts_flush"();
CREATE TRIGGER "training_completion_counts_flush" AFTER INSERT OR UPDATE OR DELETE ON "training_completions"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_counts_flush"();

GRANT CREATE ON SCHEMA public TO "training_counter";
ALTER FUNCTION "training_counts_flush_pending"() OWNER TO "training_counter";
ALTER FUNCTION "training_counts_flush"() OWNER TO "training_counter";
REVOKE CREATE ON SCHEMA public FROM "training_counter";
-- Only the counter functions call it.
REVOKE ALL ON FUNCTION "training_counts_flush_pending"() FROM PUBLIC;

-- The audit trail: an update's changed columns in one pass over the new row, looking each value
-- up in the old one, instead of a join of both rows' columns (the same before and after).
CREATE OR REPLACE FUNCTION "audit_row_change"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    old_row  JSONB := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row  JSONB := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    redacted TEXT[] := COALESCE(TG_ARGV[1], '{}')::TEXT[];
    before   JSONB;
    after    JSONB;
    actor    TEXT := current_setting('app.user_id', true);
    col      TEXT;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        SELECT jsonb_object_agg(n.key, old_row -> n.key), jsonb_object_agg(n.key, n.value) INTO before, after
          FROM jsonb_each(new_row) n
         WHERE n.value IS DISTINCT FROM old_row -> n.key;
        IF after IS NULL THEN
            RETURN NULL; -- nothing changed
        END IF;
    ELSE
        before := old_row;
        after := new_row;
    END IF;
    FOREACH col IN ARRAY redacted LOOP
        IF before ? col THEN before := jsonb_set(before, ARRAY[col], '"[redacted]"'); END IF;
        IF after ? col THEN after := jsonb_set(after, ARRAY[col], '"[redacted]"'); END IF;
    END LOOP;
    INSERT INTO "audit_events" ("tenant_id", "actor_id", "role", "action", "entity_type", "entity_id", "changes", "request_id")
    VALUES (
        (COALESCE(new_row, old_row) ->> 'tenant_id')::UUID,
        CASE WHEN actor ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN actor::UUID END,
        NULLIF(current_setting('app.role', true), ''),
        CASE WHEN TG_OP = 'INSERT' THEN 'create' WHEN TG_OP = 'UPDATE' THEN 'update' ELSE 'delete' END,
        TG_TABLE_NAME,
        (COALESCE(new_row, old_row) ->> COALESCE(TG_ARGV[0], 'id'))::UUID,
        jsonb_build_object('before', before, 'after', after),
        NULLIF(current_setting('app.request_id', true), ''));
    RETURN NULL;
END $$;
