-- The people directory (`users(search)`) matches ILIKE '%text%' on the display name or the email: trigram GIN
-- indexes serve both halves of the OR (a BitmapOr), as they do for course search. pg_trgm exists since
-- 20261202000100_course_search_trigram.
CREATE INDEX "profiles_display_name_trgm_idx" ON "profiles" USING gin ("display_name" gin_trgm_ops);
CREATE INDEX "profiles_email_trgm_idx" ON "profiles" USING gin ("email" gin_trgm_ops);
