-- An audit event names its table by the name the trigger was attached with, not by TG_TABLE_NAME: a database
-- distributed by tenant_id (Citus) runs the trigger on a shard, whose name carries the shard's id
-- ("training_courses_102157"), and the trail's entityType and its filter by entity would show that name.
-- audit_attach passes the table's name as the trigger's third argument, and every audited table is attached again
-- with its key column and redacted columns as they were.
CREATE OR REPLACE FUNCTION "audit_attach"(target REGCLASS, key_column TEXT DEFAULT 'id', redacted TEXT[] DEFAULT '{}')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS "audit_row_change" ON %s', target);
    EXECUTE format('CREATE TRIGGER "audit_row_change" AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION "audit_row_change"(%L, %L, %L)',
                   target, key_column, redacted, (SELECT c.relname FROM pg_class c WHERE c.oid = target));
END $$;

DO $$
DECLARE
    v_trigger RECORD;
    v_args TEXT[];
BEGIN
    FOR v_trigger IN
        SELECT t.tgrelid::regclass AS target, t.tgargs FROM pg_trigger t
        WHERE t.tgname = 'audit_row_change' AND NOT t.tgisinternal
        ORDER BY t.tgrelid::regclass::text
    LOOP
        -- The arguments as stored: each one ends with a zero byte.
        v_args := string_to_array(encode(v_trigger.tgargs, 'escape'), '\000');
        PERFORM "audit_attach"(v_trigger.target, v_args[1], v_args[2]::TEXT[]);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION "audit_row_change"() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
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
        SELECT jsonb_object_agg(n.key, o.value), jsonb_object_agg(n.key, n.value) INTO before, after
          FROM jsonb_each(new_row) n JOIN jsonb_each(old_row) o USING (key)
         WHERE n.value IS DISTINCT FROM o.value;
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
        TG_ARGV[2],
        (COALESCE(new_row, old_row) ->> COALESCE(TG_ARGV[0], 'id'))::UUID,
        jsonb_build_object('before', before, 'after', after),
        NULLIF(current_setting('app.request_id', true), ''));
    RETURN NULL;
END $$;
