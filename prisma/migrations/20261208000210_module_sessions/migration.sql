-- The latest launch session of each (assignment, module): its cmi5 session id, and whether it is still open (launched,
-- not yet terminated). A new launch over an open session makes the LMS record the old one abandoned (cmi5 §9.3.7).
ALTER TABLE "module_progress"
    ADD COLUMN "session_id" UUID,
    ADD COLUMN "session_open" BOOLEAN NOT NULL DEFAULT false;
