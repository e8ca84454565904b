-- training_holdings was recounted by its row triggers, the user's row for every written row: a bulk insert of a
-- user's completions recounted that user once per completion, and each recount updated the same row again (every
-- version the transaction made stays until commit), and writers of the same users in different orders locked
-- their rows in those orders. Now the row triggers only name what changed, pending in the transaction's settings as
-- the analytics counters' deltas are (migrations 20261214300000_counter_deltas_per_statement and
-- 20261217300000_counter_first_entry_fast_path): `u|tenant|user` for a completion, `c|tenant|completion` for a
-- certificate (its holder is looked up once per statement, not per row). A statement trigger recounts each named
-- user once, set-based, tenant by tenant, locking the users' rows in (tenant, user) order.
--
-- The first entry sits in `training_holdings.e`; when a statement names a second one (a bulk write), the further
-- entries go to one of 128 buckets (`training_holdings.b<n>`, by hash; each a list `,entry,entry,` searched before
-- an entry is added, so a user is listed once) and `training_holdings.touched` lists the buckets in use (`,3,17`).
-- Unlike the counters' slots the buckets never fill, so a statement is recounted in one go whatever its size, and
-- its rows are locked in one order. The entries roll back with a savepoint or the transaction (they are
-- `set_config(…, true)`); and whatever statement's trigger finds them (a nested statement, such as a cascade, finds
-- its outer statement's entries too) recounts the users from the rows as they are then, so recounting early or
-- twice is only work, never a wrong row.

-- Adds an entry unless the statement already has it.
CREATE FUNCTION "training_holdings_put"(p_entry TEXT) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
    v_first TEXT := coalesce(current_setting('training_holdings.e', true), '');
    v_bucket INT;
    v_list TEXT;
BEGIN
    IF v_first = '' THEN
        RETURN set_config('training_holdings.e', p_entry, true) <> '';
    ELSIF v_first = p_entry THEN
        RETURN true;
    END IF;
    v_bucket := hashtext(p_entry) & 127;
    v_list := coalesce(current_setting('training_holdings.b' || v_bucket, true), '');
    IF v_list = '' THEN
        RETURN set_config('training_holdings.b' || v_bucket, ',' || p_entry || ',', true) <> ''
           AND set_config('training_holdings.touched',
                          concat(current_setting('training_holdings.touched', true), ',', v_bucket), true) <> '';
    ELSIF strpos(v_list, ',' || p_entry || ',') = 0 THEN
        RETURN set_config('training_holdings.b' || v_bucket, v_list || p_entry || ',', true) <> '';
    END IF;
    RETURN true;
END $$;

-- A passed completion's insert that is the statement's first entry (the API's one-row write) sets it in one
-- expression, without a function call.
CREATE OR REPLACE FUNCTION "training_holdings_completion"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_put BOOLEAN;
BEGIN
    IF TG_OP = 'INSERT' AND coalesce(current_setting('training_holdings.e', true), '') = '' THEN
        v_put := set_config('training_holdings.e', concat_ws('|', 'u', NEW.tenant_id, NEW.user_id), true) <> '';
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        v_put := "training_holdings_put"(concat_ws('|', 'u', OLD.tenant_id, OLD.user_id));
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (NEW.tenant_id, NEW.user_id) IS DISTINCT FROM (OLD.tenant_id, OLD.user_id)) THEN
        v_put := "training_holdings_put"(concat_ws('|', 'u', NEW.tenant_id, NEW.user_id));
    END IF;
    RETURN NULL;
END $$;

-- A certificate counts only once revoked; its holder is its completion's user (a certificate's own user_id is
-- checked against it only under RLS), found by the statement trigger. A revocation that is the statement's first
-- entry (the API's) sets it in one expression.
CREATE OR REPLACE FUNCTION "training_holdings_certificate"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_put BOOLEAN;
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.tenant_id, NEW.completion_id) = (OLD.tenant_id, OLD.completion_id)
       AND coalesce(current_setting('training_holdings.e', true), '') = '' THEN
        v_put := set_config('training_holdings.e', concat_ws('|', 'c', NEW.tenant_id, NEW.completion_id), true) <> '';
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        v_put := "training_holdings_put"(concat_ws('|', 'c', OLD.tenant_id, OLD.completion_id));
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (NEW.tenant_id, NEW.completion_id) IS DISTINCT FROM (OLD.tenant_id, OLD.completion_id)) THEN
        v_put := "training_holdings_put"(concat_ws('|', 'c', NEW.tenant_id, NEW.completion_id));
    END IF;
    RETURN NULL;
END $$;

-- Every pending entry's user recounted, tenant by tenant, each statement naming its tenant (on a database
-- distributed by tenant it stays on the tenant's shard; planned with the tenant's value at each call, as the
-- counters' flush is). The users' rows are locked first, in user order (made if missing: ON CONFLICT DO UPDATE
-- locks the conflicting row even when its WHERE updates nothing), so the reads that follow, each with a snapshot of
-- its own, see whatever a concurrent writer of these users committed before it let go, and two statements writing
-- the same users in any order wait for each other instead of deadlocking. A completion deleted with its
-- certificate has no holder left to find here; its own trigger names its user.
CREATE FUNCTION "training_holdings_flush_pending"() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_buckets TEXT[] := string_to_array(substr(coalesce(current_setting('training_holdings.touched', true), ''), 2), ',');
    v_entries TEXT[];
    v_tenant UUID;
    v_users UUID[];
    v_ids UUID[];
    v_owners UUID[];
    v_courses UUID[];
    v_expiries DATE[];
    v_revoked UUID[];
    v_held UUID[];
    v_gone UUID[];
BEGIN
    SELECT array_agg(DISTINCT x) INTO v_entries
    FROM unnest(string_to_array(concat(current_setting('training_holdings.e', true), ',',
                                       (SELECT string_agg(current_setting('training_holdings.b' || b, true), '')
                                        FROM unnest(v_buckets) b)), ',')) x
    WHERE x <> '';
    PERFORM set_config('training_holdings.b' || b, '', true) FROM unnest(v_buckets) b;
    PERFORM set_config('training_holdings.e', '', true), set_config('training_holdings.touched', '', true);

    FOR v_tenant IN SELECT DISTINCT split_part(x, '|', 2)::uuid FROM unnest(v_entries) x ORDER BY 1 LOOP
        SELECT array_agg(split_part(x, '|', 3)::uuid) FILTER (WHERE left(x, 1) = 'u'),
               array_agg(split_part(x, '|', 3)::uuid) FILTER (WHERE left(x, 1) = 'c')
        INTO v_users, v_ids
        FROM unnest(v_entries) x WHERE split_part(x, '|', 2)::uuid = v_tenant;
        IF v_ids IS NOT NULL THEN
            SELECT v_users || array_agg(tc.user_id) INTO v_users
            FROM "training_completions" tc WHERE tc.tenant_id = v_tenant AND tc.id = ANY (v_ids);
        END IF;
        SELECT array_agg(DISTINCT u ORDER BY u) INTO v_users FROM unnest(v_users) u;
        CONTINUE WHEN v_users IS NULL;

        INSERT INTO "training_holdings" AS h ("tenant_id", "user_id", "course_ids", "expires_on")
        SELECT v_tenant, u, '{}', '{}' FROM unnest(v_users) u ORDER BY u
        ON CONFLICT ("tenant_id", "user_id") DO UPDATE SET "course_ids" = h."course_ids" WHERE false;

        SELECT array_agg(tc.id), array_agg(tc.user_id), array_agg(tc.course_id), array_agg(coalesce(tc.expires_at, 'infinity'))
        INTO v_ids, v_owners, v_courses, v_expiries
        FROM "training_completions" tc
        WHERE tc.tenant_id = v_tenant AND tc.user_id = ANY (v_users) AND tc.passed;
        v_revoked := NULL;
        IF v_ids IS NOT NULL THEN
            SELECT array_agg(c.completion_id) INTO v_revoked
            FROM "certificates" c
            WHERE c.tenant_id = v_tenant AND c.completion_id = ANY (v_ids) AND c.revoked_at IS NOT NULL;
        END IF;

        WITH k AS (
            SELECT u.user_id, u.course_id, max(u.expires_on) AS expires_on
            FROM unnest(v_ids, v_owners, v_courses, v_expiries) AS u(id, user_id, course_id, expires_on)
            WHERE NOT EXISTS (SELECT 1 FROM unnest(v_revoked) r WHERE r = u.id)
            GROUP BY u.user_id, u.course_id),
        up AS (
            INSERT INTO "training_holdings" AS h ("tenant_id", "user_id", "course_ids", "expires_on")
            SELECT v_tenant, k.user_id, array_agg(k.course_id ORDER BY k.expires_on, k.course_id),
                   array_agg(k.expires_on ORDER BY k.expires_on, k.course_id)
            FROM k GROUP BY k.user_id ORDER BY k.user_id
            ON CONFLICT ("tenant_id", "user_id") DO UPDATE SET
                "course_ids" = EXCLUDED."course_ids", "expires_on" = EXCLUDED."expires_on"
            RETURNING h."user_id")
        SELECT array_agg(up.user_id) INTO v_held FROM up;

        SELECT array_agg(g.u) INTO v_gone FROM (SELECT unnest(v_users) EXCEPT SELECT unnest(v_held)) g(u);
        IF v_gone IS NOT NULL THEN
            DELETE FROM "training_holdings" h WHERE h.tenant_id = v_tenant AND h.user_id = ANY (v_gone);
        END IF;
    END LOOP;
END $$;

-- After the statement's row triggers. A statement with one entry (the API's one-row writes: a completion, a
-- revocation) recounts its user here with single-user statements, as the row trigger did before; anything more
-- goes to the function above.
CREATE FUNCTION "training_holdings_flush"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_first TEXT := coalesce(current_setting('training_holdings.e', true), '');
    v_tenant UUID;
    v_user UUID;
    v_set TEXT;
    v_ids UUID[];
    v_courses UUID[];
    v_expiries DATE[];
    v_revoked UUID[];
BEGIN
    IF coalesce(current_setting('training_holdings.touched', true), '') <> '' THEN
        PERFORM "training_holdings_flush_pending"();
        RETURN NULL;
    ELSIF v_first = '' THEN
        RETURN NULL;
    END IF;
    v_set := set_config('training_holdings.e', '', true);
    v_tenant := split_part(v_first, '|', 2)::uuid;
    IF left(v_first, 1) = 'u' THEN
        v_user := split_part(v_first, '|', 3)::uuid;
    ELSE
        SELECT tc.user_id INTO v_user FROM "training_completions" tc
        WHERE tc.tenant_id = v_tenant AND tc.id = split_part(v_first, '|', 3)::uuid;
        IF v_user IS NULL THEN
            RETURN NULL;
        END IF;
    END IF;

    INSERT INTO "training_holdings" AS h ("tenant_id", "user_id", "course_ids", "expires_on")
    VALUES (v_tenant, v_user, '{}', '{}')
    ON CONFLICT ("tenant_id", "user_id") DO UPDATE SET "course_ids" = h."course_ids" WHERE false;

    SELECT array_agg(tc.id), array_agg(tc.course_id), array_agg(coalesce(tc.expires_at, 'infinity'))
    INTO v_ids, v_courses, v_expiries
    FROM "training_completions" tc
    WHERE tc.tenant_id = v_tenant AND tc.user_id = v_user AND tc.passed;
    IF v_ids IS NOT NULL THEN
        SELECT array_agg(c.completion_id) INTO v_revoked
        FROM "certificates" c
        WHERE c.tenant_id = v_tenant AND c.completion_id = ANY (v_ids) AND c.revoked_at IS NOT NULL;
        SELECT array_agg(k.course_id ORDER BY k.expires_on, k.course_id), array_agg(k.expires_on ORDER BY k.expires_on, k.course_id)
        INTO v_courses, v_expiries
        FROM (SELECT u.course_id, max(u.expires_on) AS expires_on
              FROM unnest(v_ids, v_courses, v_expiries) AS u(id, course_id, expires_on)
              WHERE u.id <> ALL (coalesce(v_revoked, '{}'))
              GROUP BY u.course_id) k;
    END IF;

    IF v_courses IS NULL THEN
        DELETE FROM "training_holdings" h WHERE h.tenant_id = v_tenant AND h.user_id = v_user;
    ELSE
        UPDATE "training_holdings" h SET "course_ids" = v_courses, "expires_on" = v_expiries
        WHERE h.tenant_id = v_tenant AND h.user_id = v_user;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER "training_holdings_flush" AFTER INSERT OR UPDATE OR DELETE ON "training_completions"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_holdings_flush"();
CREATE TRIGGER "training_holdings_flush" AFTER INSERT OR UPDATE OR DELETE ON "certificates"
    FOR EACH STATEMENT EXECUTE FUNCTION "training_holdings_flush"();

-- The one-user recount now lives in the statement trigger above.
DROP FUNCTION "training_holdings_refresh"(UUID, UUID);

GRANT CREATE ON SCHEMA public TO "training_qualifier";
ALTER FUNCTION "training_holdings_put"(TEXT) OWNER TO "training_qualifier";
ALTER FUNCTION "training_holdings_flush_pending"() OWNER TO "training_qualifier";
ALTER FUNCTION "training_holdings_flush"() OWNER TO "training_qualifier";
REVOKE CREATE ON SCHEMA public FROM "training_qualifier";
-- Only the triggers call them.
REVOKE ALL ON FUNCTION "training_holdings_put"(TEXT), "training_holdings_flush_pending"() FROM PUBLIC;
