-- A revoked certificate no longer qualifies its holder (src/risk/qualifications-sql.ts
-- reads revocations), so revoking one is a qualification change: announce it on the
-- same channel as completions, once per statement. Revocation is the only update a
-- certificate allows (certificates_guard_update), so no column list is needed (and
-- PostgreSQL allows none beside a transition table).
CREATE TRIGGER "certificates_qualification_revoked" AFTER UPDATE ON "certificates"
    REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "qualification_changed_rows"();
