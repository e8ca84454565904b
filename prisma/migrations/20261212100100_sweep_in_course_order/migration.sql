-- The counters are written by row triggers, in the order a statement writes its rows. The
-- batch inserts (auto-assignment, recertification) write theirs by course; the overdue sweep
-- locked and updated in (tenant, id) order, which mixes courses, so a sweep and a batch
-- insert could take two courses' counter rows in opposite orders and deadlock. The sweep now
-- locks and updates its rows one by one in (tenant, course, id) order: two sweeps still lock
-- the same rows in the same order (the second waits, then skips what is no longer active).
CREATE OR REPLACE FUNCTION "mark_overdue_training_assignments"() RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    v_row RECORD;
    v_swept BIGINT := 0;
BEGIN
    FOR v_row IN
        SELECT "tenant_id", "id" FROM "training_assignments"
        WHERE "status" IN ('assigned', 'in_progress') AND "due_date" < "training_today"()
        ORDER BY "tenant_id", "course_id", "id"
        FOR UPDATE
    LOOP
        UPDATE "training_assignments" a SET "status" = 'overdue'
        WHERE a."tenant_id" = v_row."tenant_id" AND a."id" = v_row."id"
          AND a."status" IN ('assigned', 'in_progress') AND a."due_date" < "training_today"();
        IF FOUND THEN
            v_swept := v_swept + 1;
        END IF;
    END LOOP;
    RETURN v_swept;
END $$;
