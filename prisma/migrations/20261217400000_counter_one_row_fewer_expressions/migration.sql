-- A one-row write in its own transaction pays PL/pgSQL's first-call price for every expression and function call its
-- row trigger runs (each expression's state is built again in each transaction), so the common writes take a shorter
-- path with fewer of them: a status change that stays in one counter row and one due-date row (a start, a
-- completion), and a passed completion's insert, when they are the statement's first entries of their kinds, set
-- their fixed entries in one expression (no per-key variables, no `training_counts_put` call). Everything else goes
-- on as before.

CREATE OR REPLACE FUNCTION "training_assignment_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_old TEXT;
    v_new TEXT;
    v_old_due TEXT;
    v_new_due TEXT;
    v_put BOOLEAN;
    v_set TEXT;
BEGIN
    -- The status moves within one counter row, and within one due-date row when it is active before or after
    -- (the due-date columns count the active statuses only, so the move's first two deltas are the due-date row's).
    IF TG_OP = 'UPDATE' AND (OLD.tenant_id, OLD.course_id) = (NEW.tenant_id, NEW.course_id)
       AND OLD.due_date IS NOT DISTINCT FROM NEW.due_date
       AND coalesce(current_setting('training_counts.a', true), '') = ''
       AND coalesce(current_setting('training_counts.d', true), '') = '' THEN
        v_set := concat(set_config('training_counts.a', concat_ws('|', 'a', NEW.tenant_id, NEW.course_id,
                            array_to_string("training_counts_move"(OLD.status, NEW.status), '|')), true),
                        CASE WHEN NEW.due_date IS NOT NULL AND (OLD.status IN ('assigned', 'in_progress')
                                                                 OR NEW.status IN ('assigned', 'in_progress'))
                        THEN set_config('training_counts.d', concat_ws('|', 'd', NEW.tenant_id, NEW.due_date, NEW.course_id,
                            array_to_string(("training_counts_move"(OLD.status, NEW.status))[1:2], '|')), true) END);
        RETURN NULL;
    END IF;
    v_old := CASE WHEN TG_OP <> 'INSERT' THEN concat_ws('|', 'a', OLD.tenant_id, OLD.course_id) END;
    v_new := CASE WHEN TG_OP <> 'DELETE' THEN concat_ws('|', 'a', NEW.tenant_id, NEW.course_id) END;
    v_old_due := CASE WHEN TG_OP <> 'INSERT' AND OLD.status IN ('assigned', 'in_progress') AND OLD.due_date IS NOT NULL
                      THEN concat_ws('|', 'd', OLD.tenant_id, OLD.due_date, OLD.course_id) END;
    v_new_due := CASE WHEN TG_OP <> 'DELETE' AND NEW.status IN ('assigned', 'in_progress') AND NEW.due_date IS NOT NULL
                      THEN concat_ws('|', 'd', NEW.tenant_id, NEW.due_date, NEW.course_id) END;
    IF v_old = v_new THEN
        IF OLD.status <> NEW.status THEN
            v_put := "training_counts_put"(v_new, "training_counts_move"(OLD.status, NEW.status));
        END IF;
    ELSE
        IF v_old IS NOT NULL THEN
            v_put := "training_counts_put"(v_old, "training_counts_move"(OLD.status, NULL));
        END IF;
        IF v_new IS NOT NULL THEN
            v_put := "training_counts_put"(v_new, "training_counts_move"(NULL, NEW.status));
        END IF;
    END IF;
    IF v_old_due = v_new_due THEN
        IF OLD.status <> NEW.status THEN
            v_put := "training_counts_put"(v_new_due, ("training_counts_move"(OLD.status, NEW.status))[1:2]);
        END IF;
    ELSE
        IF v_old_due IS NOT NULL THEN
            v_put := "training_counts_put"(v_old_due, ("training_counts_move"(OLD.status, NULL))[1:2]);
        END IF;
        IF v_new_due IS NOT NULL THEN
            v_put := "training_counts_put"(v_new_due, ("training_counts_move"(NULL, NEW.status))[1:2]);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION "training_completion_counts_apply"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_put BOOLEAN;
BEGIN
    -- A passed completion counts in its course's row; a failed attempt counts nowhere.
    IF TG_OP = 'INSERT' AND NEW.passed AND coalesce(current_setting('training_counts.c', true), '') = '' THEN
        v_put := set_config('training_counts.c', concat_ws('|', 'c', NEW.tenant_id, NEW.course_id,
                            1, coalesce(NEW.completion_time_minutes, 0), (NEW.completion_time_minutes IS NOT NULL)::int,
                            coalesce(NEW.score, 0), (NEW.score IS NOT NULL)::int), true) <> '';
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.passed THEN
        v_put := "training_counts_put"(concat_ws('|', 'c', OLD.tenant_id, OLD.course_id), ARRAY[
            -1, -coalesce(OLD.completion_time_minutes, 0), -(OLD.completion_time_minutes IS NOT NULL)::int,
            -coalesce(OLD.score, 0), -(OLD.score IS NOT NULL)::int]);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.passed THEN
        v_put := "training_counts_put"(concat_ws('|', 'c', NEW.tenant_id, NEW.course_id), ARRAY[
            1, coalesce(NEW.completion_time_minutes, 0), (NEW.completion_time_minutes IS NOT NULL)::int,
            coalesce(NEW.score, 0), (NEW.score IS NOT NULL)::int]);
    END IF;
    RETURN NULL;
END $$;
