-- The audit trigger's action as a searched CASE. On Citus the trigger runs on the shard, and its INSERT into
-- audit_events, with the trigger's variables as parameters, is planned again there; a simple CASE over a
-- parameter (`CASE TG_OP WHEN 'INSERT' …`) then fails ("operator does not exist: text = boolean").
-- Same result on PostgreSQL.
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
        TG_TABLE_NAME,
        (COALESCE(new_row, old_row) ->> COALESCE(TG_ARGV[0], 'id'))::UUID,
        jsonb_build_object('before', before, 'after', after),
        NULLIF(current_setting('app.request_id', true), ''));
    RETURN NULL;
END $$;
