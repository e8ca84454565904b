-- The audit trail: every write to a tenant table appends one row here, in the writing transaction (a rolled-back
-- write leaves none), naming who (app.user_id, app.role), what (table, row id, create/update/delete), the changed
-- fields before and after, and the request (app.request_id). One generic row trigger does it for every table,
-- attached by "audit_attach"; a test fails when a tenant table has no trigger and is not exempted with a reason.
--
-- Append-only: the application role may only read it (admins, their tenant); a trigger refuses UPDATE, DELETE
-- and TRUNCATE to everyone, the owner included.

CREATE TABLE "audit_events" (
    "id"          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"   UUID NOT NULL,
    -- The order of writes, also within one transaction (whose now() is one instant): replay follows it.
    "seq"         BIGSERIAL NOT NULL,
    "at"          TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "actor_id"    UUID,
    "role"        TEXT,
    "action"      TEXT NOT NULL CHECK ("action" IN ('create', 'update', 'delete')),
    "entity_type" TEXT NOT NULL,
    "entity_id"   UUID NOT NULL,
    -- {"before": {field: value…} | null, "after": {field: value…} | null}: the changed fields only on update.
    "changes"     JSONB NOT NULL,
    "request_id"  TEXT,
    CONSTRAINT "audit_events_tenant_id_id_key" UNIQUE ("tenant_id", "id")
);
CREATE INDEX "audit_events_tenant_id_seq_idx" ON "audit_events" ("tenant_id", "seq");
CREATE INDEX "audit_events_tenant_id_entity_id_seq_idx" ON "audit_events" ("tenant_id", "entity_id", "seq");
CREATE INDEX "audit_events_tenant_id_actor_id_seq_idx" ON "audit_events" ("tenant_id", "actor_id", "seq");

ALTER TABLE "audit_events" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT ON "audit_events" TO "training_app";
CREATE POLICY "audit_events_admins" ON "audit_events" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'admin');
-- Only a role with INSERT on the table can use this: the owner, through the SECURITY DEFINER trigger below.
CREATE POLICY "audit_events_append" ON "audit_events" FOR INSERT WITH CHECK (true);

CREATE FUNCTION "audit_events_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events"
    FOR EACH ROW EXECUTE FUNCTION "audit_events_refuse_change"();
CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events"
    FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_refuse_change"();

-- TG_ARGV[0]: the row's key column (a uuid); TG_ARGV[1]: columns whose values are never copied (secrets), shown
-- as "[redacted]" when they change. SECURITY DEFINER: the caller's role may not insert into audit_events.
CREATE FUNCTION "audit_row_change"() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
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
        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
        TG_TABLE_NAME,
        (COALESCE(new_row, old_row) ->> COALESCE(TG_ARGV[0], 'id'))::UUID,
        jsonb_build_object('before', before, 'after', after),
        NULLIF(current_setting('app.request_id', true), ''));
    RETURN NULL;
END $$;

-- Attaches (or re-attaches) the audit trigger to a tenant table: every table a later migration adds calls it.
CREATE FUNCTION "audit_attach"(target REGCLASS, key_column TEXT DEFAULT 'id', redacted TEXT[] DEFAULT '{}')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS "audit_row_change" ON %s', target);
    EXECUTE format('CREATE TRIGGER "audit_row_change" AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION "audit_row_change"(%L, %L)', target, key_column, redacted);
END $$;

SELECT "audit_attach"('profiles');
SELECT "audit_attach"('predictive_scores');
SELECT "audit_attach"('shift_assignments');
SELECT "audit_attach"('equipment_operators');
SELECT "audit_attach"('training_courses');
SELECT "audit_attach"('training_assignments');
SELECT "audit_attach"('training_completions');
SELECT "audit_attach"('training_evidence');
SELECT "audit_attach"('certificates');
SELECT "audit_attach"('notification_preferences', 'user_id');
SELECT "audit_attach"('risk_escalations');
SELECT "audit_attach"('quiz_questions');
SELECT "audit_attach"('quiz_choices');
SELECT "audit_attach"('course_quizzes');
SELECT "audit_attach"('quiz_attempts');
SELECT "audit_attach"('quiz_answers');
