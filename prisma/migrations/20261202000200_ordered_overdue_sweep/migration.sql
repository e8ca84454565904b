-- The overdue sweep updates every active assignment past its due date. As a plain UPDATE it locked
-- them in whatever order its plan scanned them, so two sweeps of a tenant at once (the scheduler and
-- sweepOverdueTrainingAssignments, or two instances) could lock the same rows in different orders and
-- deadlock. It now locks them in (tenant, id) order first, like every other batch write: the second
-- sweep waits for the first, then finds nothing left to do (a locked row that is no longer active is
-- re-checked and skipped).
CREATE OR REPLACE FUNCTION "mark_overdue_training_assignments"() RETURNS BIGINT LANGUAGE sql AS $$
    WITH due AS MATERIALIZED (
        SELECT "id" FROM "training_assignments"
        WHERE "status" IN ('assigned', 'in_progress') AND "due_date" < "training_today"()
        ORDER BY "tenant_id", "id"
        FOR UPDATE
    ), swept AS (
        UPDATE "training_assignments" a SET "status" = 'overdue'
        FROM due
        WHERE a."id" = due."id" AND a."status" IN ('assigned', 'in_progress') AND a."due_date" < "training_today"()
        RETURNING 1
    )
    SELECT count(*) FROM swept
$$;
