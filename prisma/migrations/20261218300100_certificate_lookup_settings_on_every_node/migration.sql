-- The certificate lookup names the certificate's rows in settings that its policies read (migration
-- 20261211300100_row_local_policies). They are applied with SET LOCAL (`app_set_local`), which a distributed database
-- (Citus, with citus.propagate_set_commands = 'local') sends to every node the transaction uses; set_config(…, true)
-- stayed on the coordinator, where no row is, so the shards' policies saw no code and every lookup found nothing.
-- The same settings for the same statements on one PostgreSQL. CREATE OR REPLACE keeps the owner and the grants.
CREATE OR REPLACE FUNCTION "verify_certificate"(p_code TEXT)
RETURNS TABLE (status TEXT, holder_name TEXT, course_title TEXT, completed_at TIMESTAMPTZ,
               issued_at TIMESTAMPTZ, expires_at DATE, evidence JSONB, holder_locale TEXT,
               tenant_name TEXT, logo BYTEA, logo_sha256 TEXT)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_certificate RECORD;
BEGIN
    -- certificates_lookup shows the certificates of this code; each names the rows the others show.
    PERFORM "app_set_local"('app.certificate_code', coalesce(p_code, ''));
    FOR v_certificate IN
        SELECT c.tenant_id, c.user_id, c.course_id, c.completion_id FROM "certificates" c WHERE c.code = p_code
    LOOP
        PERFORM "app_set_local"('app.certificate_tenant', v_certificate.tenant_id::text,
                                'app.certificate_user', v_certificate.user_id::text,
                                'app.certificate_course', v_certificate.course_id::text,
                                'app.certificate_completion', v_certificate.completion_id::text);
        RETURN QUERY
            SELECT CASE WHEN c.revoked_at IS NOT NULL THEN 'revoked'
                        WHEN c.expires_at < "training_today"() THEN 'expired'
                        ELSE 'valid' END,
                   p.display_name, co.title, tc.completed_at, c.issued_at, c.expires_at, tc.evidence, p.locale,
                   ts.name, ts.logo, ts.logo_sha256
            FROM "certificates" c
            JOIN "profiles" p ON p.tenant_id = c.tenant_id AND p.id = c.user_id
            JOIN "training_courses" co ON co.tenant_id = c.tenant_id AND co.id = c.course_id
            JOIN "training_completions" tc ON tc.tenant_id = c.tenant_id AND tc.id = c.completion_id
            LEFT JOIN "tenant_settings" ts ON ts.tenant_id = c.tenant_id
            WHERE c.tenant_id = v_certificate.tenant_id AND c.completion_id = v_certificate.completion_id;
    END LOOP;
    PERFORM "app_set_local"('app.certificate_code', '', 'app.certificate_tenant', '', 'app.certificate_user', '',
                            'app.certificate_course', '', 'app.certificate_completion', '');
END $$;
