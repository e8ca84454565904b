-- The API raises the live events itself, in the writing transaction after its writes, instead of
-- triggers: on a database distributed by tenant_id (Citus) a trigger runs on the worker that holds the
-- row, where its NOTIFY reaches no listener (and a worker that notified refuses two-phase commit). The
-- functions below read no table, so they run where the API's statement runs; PostgreSQL still sends a
-- transaction's notifications only at its commit, so a rolled-back write announces nothing.

-- New assignments of one tenant: `training_assignment_created` with {"tenantId", "assignments": [[id,
-- userId], …]}, at most 80 pairs a payload in id order (as the trigger sent them: about 6.5 kB, under
-- NOTIFY's 8000 bytes, and the hub batches a burst by the payloads it reads together). p_ids and
-- p_user_ids pair up by position; nulls and empty arrays announce nothing.
CREATE FUNCTION "announce_assignments_created"(p_tenant_id UUID, p_ids UUID[], p_user_ids UUID[]) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
    v_batch RECORD;
BEGIN
    IF p_tenant_id IS NULL THEN
        RETURN;
    END IF;
    FOR v_batch IN
        SELECT json_agg(json_build_array(x.id, x.user_id) ORDER BY x.id) AS items
        FROM (SELECT x.id, x.user_id, (row_number() OVER (ORDER BY x.id) - 1) / 80 AS chunk
              FROM unnest(p_ids, p_user_ids) AS x(id, user_id)
              WHERE x.id IS NOT NULL AND x.user_id IS NOT NULL) x
        GROUP BY x.chunk
        ORDER BY x.chunk
    LOOP
        PERFORM pg_notify('training_assignment_created',
            json_build_object('tenantId', p_tenant_id, 'assignments', v_batch.items)::text);
    END LOOP;
END $$;

DROP TRIGGER "training_assignments_notify_created" ON "training_assignments";
DROP FUNCTION "training_assignments_notify_created"();

-- Completions, shifts, operators, revocations, cancellations and required courses: their writers call
-- notify_qualification_changed(tenant, users) (or NULL users: the whole tenant) themselves.
DROP TRIGGER "training_completions_qualification_insert" ON "training_completions";
DROP TRIGGER "training_completions_qualification_update" ON "training_completions";
DROP TRIGGER "training_completions_qualification_delete" ON "training_completions";
DROP TRIGGER "shift_assignments_qualification_insert" ON "shift_assignments";
DROP TRIGGER "shift_assignments_qualification_update" ON "shift_assignments";
DROP TRIGGER "equipment_operators_qualification_insert" ON "equipment_operators";
DROP TRIGGER "certificates_qualification_revoked" ON "certificates";
DROP FUNCTION "qualification_changed_rows"();
DROP TRIGGER "training_assignments_qualification_cancelled" ON "training_assignments";
DROP FUNCTION "qualification_changed_cancelled"();
DROP TRIGGER "training_courses_qualification_insert" ON "training_courses";
DROP TRIGGER "training_courses_qualification_update" ON "training_courses";
DROP TRIGGER "training_courses_qualification_delete" ON "training_courses";
DROP FUNCTION "qualification_changed_course"();
