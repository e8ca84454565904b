-- Who is qualified now (src/risk/qualifications-sql.ts) reads, for each user of a zone or a piece of
-- equipment, their passed completions: this index holds every column that statement and the completions'
-- row-level security policy read (user, course, expiry, id), so each user is one index-only scan of a few
-- adjacent entries instead of a heap visit per completion. Partial on passed, which the statement requires;
-- keyed, like every index of a tenant table, by tenant_id first.
CREATE INDEX "training_completions_current"
    ON "training_completions" ("tenant_id", "user_id", "course_id") INCLUDE ("expires_at", "id")
    WHERE "passed";

-- The same statement reads a tenant's revoked certificates once, into a hash: few among many certificates.
CREATE INDEX "certificates_revoked"
    ON "certificates" ("tenant_id", "completion_id")
    WHERE "revoked_at" IS NOT NULL;
