-- LRS credentials can be revoked: the row stays (the audit trail and the list show who had access until when),
-- and lrs_authenticate no longer answers for it. Revoking NOTIFYs "lrs_credential_revoked" with the id, so every
-- instance forgets the credential at once instead of trusting its short-lived cache of verified credentials.
ALTER TABLE "lrs_credentials" ADD COLUMN "revoked_at" TIMESTAMPTZ(6);
GRANT UPDATE ("revoked_at") ON "lrs_credentials" TO "training_app";
GRANT SELECT ("revoked_at") ON "lrs_credentials" TO "training_lrs_auth";

CREATE OR REPLACE FUNCTION "lrs_authenticate"(p_id UUID, p_secret_hash BYTEA)
RETURNS TABLE ("tenant_id" UUID, "name" TEXT, "actor" JSONB, "registration" UUID)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT c.tenant_id, c.name, NULL::jsonb, NULL::uuid FROM "lrs_credentials" c
    WHERE c.id = p_id AND c.secret_hash = p_secret_hash AND c.revoked_at IS NULL
    UNION ALL
    SELECT t.tenant_id, 'cmi5 launch', t.actor, t.registration FROM "xapi_launch_tokens" t
    WHERE t.id = p_id AND t.auth_hash = p_secret_hash AND t.expires_at > now()
$$;
