-- The Learning Record Store (xAPI): statements, their attachments, the activities they name, documents (state,
-- activity profile, agent profile), the tenant's LRS credentials and cmi5 launch tokens. Every table is a
-- tenant's, under RLS; the LRS runs each request as the tenant's 'service' role. An LMS action of a user (a
-- cmi5 launch) writes statements and state in that user's transaction, so any role of the tenant may write
-- them: these tables are reached only through the xapi domain's code, never through GraphQL.

CREATE TABLE "lrs_credentials" (
    "id"          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"   UUID NOT NULL,
    "name"        TEXT NOT NULL CHECK (char_length("name") BETWEEN 1 AND 200),
    -- sha256 of the secret, which is shown once: a random 256-bit value needs no slow hash.
    "secret_hash" BYTEA NOT NULL,
    "created_by"  UUID NOT NULL,
    "created_at"  TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "lrs_credentials_tenant_id_id_key" UNIQUE ("tenant_id", "id")
);

-- A cmi5 launch: the fetch URL's secret (usable once), then the auth token's; scoped to an actor and registration.
CREATE TABLE "xapi_launch_tokens" (
    "id"           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"    UUID NOT NULL,
    "fetch_hash"   BYTEA NOT NULL,
    "auth_hash"    BYTEA,
    "actor"        JSONB NOT NULL,
    "registration" UUID NOT NULL,
    "activity_id"  TEXT NOT NULL,
    "expires_at"   TIMESTAMPTZ(6) NOT NULL,
    "fetched_at"   TIMESTAMPTZ(6),
    "created_at"   TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "xapi_launch_tokens_tenant_id_id_key" UNIQUE ("tenant_id", "id")
);
CREATE INDEX "xapi_launch_tokens_fetch_hash_idx" ON "xapi_launch_tokens" ("fetch_hash");

-- A statement as stored (`statement`, with id, stored, authority, version), and the keys the filters of
-- GET /xapi/statements use. An agent's key is its inverse functional identifier ("mbox:mailto:…").
CREATE TABLE "xapi_statements" (
    "tenant_id"          UUID NOT NULL,
    "id"                 UUID NOT NULL,
    "seq"                BIGSERIAL NOT NULL,
    "stored"             TIMESTAMPTZ(6) NOT NULL,
    "statement"          JSONB NOT NULL,
    "verb_id"            TEXT NOT NULL,
    "actor_key"          TEXT NOT NULL,
    "object_agent_key"   TEXT,
    "object_activity_id" TEXT,
    "object_statement_id" UUID,
    "registration"       UUID,
    "related_agents"     TEXT[] NOT NULL,
    "related_activities" TEXT[] NOT NULL,
    "voided"             BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "xapi_statements_pkey" PRIMARY KEY ("tenant_id", "id")
);
-- Newest first, by stored then insertion order; each filter has an index that ends in that order.
CREATE INDEX "xapi_statements_tenant_id_stored_seq_idx" ON "xapi_statements" ("tenant_id", "stored", "seq");
CREATE INDEX "xapi_statements_tenant_id_actor_key_verb_id_stored_idx"
    ON "xapi_statements" ("tenant_id", "actor_key", "verb_id", "stored");
CREATE INDEX "xapi_statements_tenant_id_verb_id_stored_idx" ON "xapi_statements" ("tenant_id", "verb_id", "stored");
CREATE INDEX "xapi_statements_tenant_id_object_activity_id_stored_idx"
    ON "xapi_statements" ("tenant_id", "object_activity_id", "stored");
CREATE INDEX "xapi_statements_object_agent_idx" ON "xapi_statements" ("tenant_id", "object_agent_key", "stored")
    WHERE "object_agent_key" IS NOT NULL;
CREATE INDEX "xapi_statements_registration_idx" ON "xapi_statements" ("tenant_id", "registration", "stored")
    WHERE "registration" IS NOT NULL;
-- Statements that target another (StatementRef, voiding): few, and matched through their target.
CREATE INDEX "xapi_statements_references_idx" ON "xapi_statements" ("tenant_id", "object_statement_id")
    WHERE "object_statement_id" IS NOT NULL;

CREATE TABLE "xapi_attachments" (
    "tenant_id"    UUID NOT NULL,
    "sha2"         TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "content"      BYTEA NOT NULL,
    CONSTRAINT "xapi_attachments_pkey" PRIMARY KEY ("tenant_id", "sha2")
);

-- The activities statements name, with the definition merged from them (GET /xapi/activities).
CREATE TABLE "xapi_activities" (
    "tenant_id"  UUID NOT NULL,
    "id"         TEXT NOT NULL,
    "definition" JSONB,
    CONSTRAINT "xapi_activities_pkey" PRIMARY KEY ("tenant_id", "id")
);

-- State ('state': activity, agent, registration or '', id), activity profiles ('activity_profile': activity,
-- id) and agent profiles ('agent_profile': agent, id). '' stands for "none" so the key stays one unique index.
CREATE TABLE "xapi_documents" (
    "tenant_id"    UUID NOT NULL,
    "kind"         TEXT NOT NULL CHECK ("kind" IN ('state', 'activity_profile', 'agent_profile')),
    "activity_id"  TEXT NOT NULL,
    "agent_key"    TEXT NOT NULL,
    "registration" TEXT NOT NULL,
    "document_id"  TEXT NOT NULL,
    "content"      BYTEA NOT NULL,
    "content_type" TEXT NOT NULL,
    "etag"         TEXT NOT NULL,
    "updated_at"   TIMESTAMPTZ(6) NOT NULL,
    CONSTRAINT "xapi_documents_pkey"
        PRIMARY KEY ("tenant_id", "kind", "activity_id", "agent_key", "registration", "document_id")
);

ALTER TABLE "lrs_credentials" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "xapi_launch_tokens" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "xapi_statements" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "xapi_attachments" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "xapi_activities" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "xapi_documents" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- Credentials: admins create and list them; nobody reads a secret (only its hash is kept).
GRANT SELECT, INSERT, DELETE ON "lrs_credentials" TO "training_app";
CREATE POLICY "lrs_credentials_admin" ON "lrs_credentials" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'admin')
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'admin');

GRANT SELECT, INSERT, UPDATE, DELETE ON "xapi_launch_tokens", "xapi_statements", "xapi_attachments",
    "xapi_activities", "xapi_documents" TO "training_app";
GRANT USAGE ON SEQUENCE "xapi_statements_seq_seq" TO "training_app";
CREATE POLICY "xapi_launch_tokens_tenant" ON "xapi_launch_tokens" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()) WITH CHECK ("tenant_id" = "app_tenant_id"());
CREATE POLICY "xapi_statements_tenant" ON "xapi_statements" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()) WITH CHECK ("tenant_id" = "app_tenant_id"());
CREATE POLICY "xapi_attachments_tenant" ON "xapi_attachments" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()) WITH CHECK ("tenant_id" = "app_tenant_id"());
CREATE POLICY "xapi_activities_tenant" ON "xapi_activities" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()) WITH CHECK ("tenant_id" = "app_tenant_id"());
CREATE POLICY "xapi_documents_tenant" ON "xapi_documents" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()) WITH CHECK ("tenant_id" = "app_tenant_id"());

-- Which tenant a Basic credential (an LRS credential or a fetched cmi5 launch token) belongs to is asked
-- before any tenant is known. The answer comes from SECURITY DEFINER functions owned by "training_lrs_auth",
-- a role that cannot log in and reads only these two tables' key columns; they take an id and a hash and
-- answer only for a match, so a caller learns nothing without the secret.
DO $$
BEGIN
    CREATE ROLE "training_lrs_auth" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;
DO $$
BEGIN
    EXECUTE format('GRANT "training_lrs_auth" TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN
    NULL;
END $$;
GRANT USAGE ON SCHEMA public TO "training_lrs_auth";
GRANT SELECT ("id", "tenant_id", "name", "secret_hash") ON "lrs_credentials" TO "training_lrs_auth";
GRANT SELECT ("id", "tenant_id", "fetch_hash", "auth_hash", "actor", "registration", "activity_id", "expires_at",
    "fetched_at") ON "xapi_launch_tokens" TO "training_lrs_auth";
GRANT UPDATE ("auth_hash", "fetched_at") ON "xapi_launch_tokens" TO "training_lrs_auth";
CREATE POLICY "lrs_credentials_auth" ON "lrs_credentials" FOR SELECT TO "training_lrs_auth" USING (true);
CREATE POLICY "xapi_launch_tokens_auth" ON "xapi_launch_tokens" FOR ALL TO "training_lrs_auth"
    USING ("expires_at" > now()) WITH CHECK ("expires_at" > now());

CREATE FUNCTION "lrs_authenticate"(p_id UUID, p_secret_hash BYTEA)
RETURNS TABLE ("tenant_id" UUID, "name" TEXT, "actor" JSONB, "registration" UUID)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT c.tenant_id, c.name, NULL::jsonb, NULL::uuid FROM "lrs_credentials" c
    WHERE c.id = p_id AND c.secret_hash = p_secret_hash
    UNION ALL
    SELECT t.tenant_id, 'cmi5 launch', t.actor, t.registration FROM "xapi_launch_tokens" t
    WHERE t.id = p_id AND t.auth_hash = p_secret_hash AND t.expires_at > now()
$$;
-- The fetch URL answers once: it records the auth token's hash and says which launch it was.
CREATE FUNCTION "xapi_launch_fetch"(p_fetch_hash BYTEA, p_auth_hash BYTEA) RETURNS UUID
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE "xapi_launch_tokens" SET "auth_hash" = p_auth_hash, "fetched_at" = now()
    WHERE "fetch_hash" = p_fetch_hash AND "fetched_at" IS NULL AND "expires_at" > now()
    RETURNING "id"
$$;
REVOKE ALL ON FUNCTION "lrs_authenticate"(UUID, BYTEA) FROM PUBLIC;
REVOKE ALL ON FUNCTION "xapi_launch_fetch"(BYTEA, BYTEA) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "lrs_authenticate"(UUID, BYTEA) TO "training_app";
GRANT EXECUTE ON FUNCTION "xapi_launch_fetch"(BYTEA, BYTEA) TO "training_app";
GRANT CREATE ON SCHEMA public TO "training_lrs_auth";
ALTER FUNCTION "lrs_authenticate"(UUID, BYTEA) OWNER TO "training_lrs_auth";
ALTER FUNCTION "xapi_launch_fetch"(BYTEA, BYTEA) OWNER TO "training_lrs_auth";
REVOKE CREATE ON SCHEMA public FROM "training_lrs_auth";
