-- Course search (`filter.search`) is ILIKE '%text%' on title or description: no B-tree serves it, and on
-- 30,000 courses each search read them all (1-3 s). Trigram GIN indexes serve ILIKE with wildcards on
-- both sides, one per column so the two halves of the OR are a BitmapOr of index scans.
-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it without superuser.
-- PGlite loads it from @electric-sql/pglite/contrib/pg_trgm (src/core/db.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX "training_courses_title_trgm_idx" ON "training_courses" USING gin ("title" gin_trgm_ops);
CREATE INDEX "training_courses_description_trgm_idx" ON "training_courses" USING gin ("description" gin_trgm_ops);
