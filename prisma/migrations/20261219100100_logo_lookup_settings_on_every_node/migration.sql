-- The public logo lookup names the logo for its policy in a setting. It is applied with SET LOCAL (`app_set_local`),
-- which a distributed database (Citus, with citus.propagate_set_commands = 'local') sends to every node the
-- transaction uses; set_config(…, true) stayed on the coordinator, so the shards' policy saw no digest and every
-- logo was not found. The same setting for the same statement on one PostgreSQL. CREATE OR REPLACE keeps the owner
-- and the grants.
CREATE OR REPLACE FUNCTION "tenant_logo"(p_sha256 TEXT)
RETURNS TABLE (logo BYTEA, logo_type TEXT)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM "app_set_local"('app.logo_sha256', coalesce(p_sha256, ''));
    RETURN QUERY SELECT s.logo, s.logo_type FROM "tenant_settings" s WHERE s.logo_sha256 = p_sha256 LIMIT 1;
    PERFORM "app_set_local"('app.logo_sha256', '');
END $$;
