-- Idempotency keys: a mutation sent with an Idempotency-Key header is recorded here with the response it
-- got, in the transaction of its writes, so a retry of the same request (same tenant, user, key and body)
-- is answered from this row and writes nothing more. Kept 7 days.

CREATE TABLE "idempotency_keys" (
    "tenant_id"    UUID NOT NULL,
    "user_id"      UUID NOT NULL,
    "key"          TEXT NOT NULL,
    -- sha256 of the request's query, operation name and variables (canonical JSON).
    "request_hash" TEXT NOT NULL,
    "status"       INTEGER,
    "response"     TEXT,
    "content_type" TEXT,
    "created_at"   TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("tenant_id", "user_id", "key"),
    CONSTRAINT "idempotency_keys_key_check" CHECK (length("key") BETWEEN 1 AND 255),
    CONSTRAINT "idempotency_keys_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "idempotency_keys_tenant_id_created_at_idx" ON "idempotency_keys" ("tenant_id", "created_at");

ALTER TABLE "idempotency_keys" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- A caller sees and writes only their own keys; the response is written once, after the request ran.
GRANT SELECT, INSERT ON "idempotency_keys" TO "training_app";
GRANT UPDATE ("status", "response", "content_type") ON "idempotency_keys" TO "training_app";
GRANT DELETE ON "idempotency_keys" TO "training_app";
CREATE POLICY "idempotency_keys_own" ON "idempotency_keys" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "user_id" = "app_user_id"())
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "user_id" = "app_user_id"());
-- The daily sweep (the tenant's 'service' role) removes expired keys of every user of the tenant, nothing
-- younger (a DELETE with a WHERE must see the rows it removes: hence the SELECT policy, on expired keys only).
CREATE POLICY "idempotency_keys_sweep_select" ON "idempotency_keys" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'service'
           AND "created_at" < now() - interval '7 days');
CREATE POLICY "idempotency_keys_sweep" ON "idempotency_keys" FOR DELETE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() = 'service'
           AND "created_at" < now() - interval '7 days');
