-- Course content: uploaded files, a course's modules (videos, documents, cmi5 AUs, links) and each
-- assignee's progress through them.
--
-- A file's bytes live in the content folder (CONTENT_DIR), named by its id; its row says whose it is, what
-- the server sniffed it to be and how large it is. Every tenant's users read their tenant's files and
-- modules; admins and safety officers upload and change them. Progress rows are written by the
-- transactions that store the assignee's statements (as the assignee, or the LMS acting for a launch) and
-- by officers; read by their assignee, officers and integrations. Content evidence (a passed completion of
-- the course's content) is recorded only when every required module of the course is satisfied.

CREATE TABLE "content_files" (
    "id"           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"    UUID NOT NULL,
    "content_type" TEXT NOT NULL CHECK (char_length("content_type") BETWEEN 1 AND 100),
    "size"         BIGINT NOT NULL CHECK ("size" >= 0),
    "file_name"    TEXT CHECK (char_length("file_name") <= 255),
    "created_by"   UUID NOT NULL,
    "created_at"   TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "content_files_tenant_id_id_key" UNIQUE ("tenant_id", "id")
);
CREATE INDEX "content_files_tenant_id_created_at_idx" ON "content_files" ("tenant_id", "created_at" DESC);

-- cmi5 columns hold the AU's course structure entry (cmi5 §13.1.4): its IRI, the course's IRI, the
-- title of the block it sits in, moveOn, masteryScore (0–1), launchMethod, launchParameters, entitlementKey.
CREATE TABLE "course_modules" (
    "id"                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"          UUID NOT NULL,
    "course_id"          UUID NOT NULL,
    "position"           INTEGER NOT NULL DEFAULT 0 CHECK ("position" >= 0),
    "title"              TEXT NOT NULL CHECK (char_length("title") BETWEEN 1 AND 500),
    "kind"               TEXT NOT NULL CHECK ("kind" IN ('video', 'document', 'cmi5_au', 'link')),
    "required"           BOOLEAN NOT NULL DEFAULT true,
    "url"                TEXT CHECK (char_length("url") <= 2000),
    "content_id"         UUID,
    "duration_seconds"   INTEGER CHECK ("duration_seconds" >= 0),
    "activity_id"        TEXT CHECK (char_length("activity_id") <= 2000),
    "course_activity_id" TEXT CHECK (char_length("course_activity_id") <= 2000),
    "block_title"        TEXT CHECK (char_length("block_title") <= 500),
    "move_on"            TEXT CHECK ("move_on" IN ('Passed', 'Completed', 'CompletedAndPassed', 'CompletedOrPassed',
                                                   'NotApplicable')),
    "mastery_score"      DOUBLE PRECISION CHECK ("mastery_score" BETWEEN 0 AND 1),
    "launch_method"      TEXT CHECK ("launch_method" IN ('AnyWindow', 'OwnWindow')),
    "launch_parameters"  TEXT CHECK (char_length("launch_parameters") <= 10000),
    "entitlement_key"    TEXT CHECK (char_length("entitlement_key") <= 2000),
    "created_at"         TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "updated_at"         TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "course_modules_tenant_id_id_key" UNIQUE ("tenant_id", "id"),
    CONSTRAINT "course_modules_source_check" CHECK ("url" IS NOT NULL OR "content_id" IS NOT NULL),
    CONSTRAINT "course_modules_cmi5_check" CHECK (
        ("kind" = 'cmi5_au') = ("activity_id" IS NOT NULL AND "move_on" IS NOT NULL AND "launch_method" IS NOT NULL)),
    CONSTRAINT "course_modules_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "course_modules_tenant_id_content_id_fkey" FOREIGN KEY ("tenant_id", "content_id")
        REFERENCES "content_files" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "course_modules_tenant_id_course_id_position_idx" ON "course_modules" ("tenant_id", "course_id", "position");
CREATE INDEX "course_modules_tenant_id_content_id_idx" ON "course_modules" ("tenant_id", "content_id");
CREATE TRIGGER "course_modules_set_updated_at" BEFORE UPDATE ON "course_modules"
    FOR EACH ROW EXECUTE FUNCTION "set_updated_at"();

-- One row per (assignment, module): what the assignee's statements showed. `satisfied_at` is set when the
-- module is done (an AU by its moveOn, a video or document by its completed statement, or waived);
-- `position_seconds` the furthest point of a video reached, `seconds_spent` the time its statements report.
CREATE TABLE "module_progress" (
    "id"               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"        UUID NOT NULL,
    "assignment_id"    UUID NOT NULL,
    "module_id"        UUID NOT NULL,
    "user_id"          UUID NOT NULL,
    "launched_at"      TIMESTAMPTZ(6),
    "completed_at"     TIMESTAMPTZ(6),
    "passed_at"        TIMESTAMPTZ(6),
    "failed_at"        TIMESTAMPTZ(6),
    "satisfied_at"     TIMESTAMPTZ(6),
    "waived"           BOOLEAN NOT NULL DEFAULT false,
    "score_scaled"     DOUBLE PRECISION CHECK ("score_scaled" BETWEEN -1 AND 1),
    "seconds_spent"    DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK ("seconds_spent" >= 0),
    "position_seconds" DOUBLE PRECISION CHECK ("position_seconds" >= 0),
    "updated_at"       TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "module_progress_tenant_id_id_key" UNIQUE ("tenant_id", "id"),
    CONSTRAINT "module_progress_tenant_id_assignment_id_module_id_key" UNIQUE ("tenant_id", "assignment_id", "module_id"),
    CONSTRAINT "module_progress_tenant_id_assignment_id_fkey" FOREIGN KEY ("tenant_id", "assignment_id")
        REFERENCES "training_assignments" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "module_progress_tenant_id_module_id_fkey" FOREIGN KEY ("tenant_id", "module_id")
        REFERENCES "course_modules" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "module_progress_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "module_progress_tenant_id_module_id_idx" ON "module_progress" ("tenant_id", "module_id");
CREATE INDEX "module_progress_tenant_id_user_id_idx" ON "module_progress" ("tenant_id", "user_id");
CREATE TRIGGER "module_progress_set_updated_at" BEFORE UPDATE ON "module_progress"
    FOR EACH ROW EXECUTE FUNCTION "set_updated_at"();

ALTER TABLE "content_files" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "course_modules" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "module_progress" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- Files: read by the tenant's users, uploaded (as themselves) and deleted by admins and safety officers.
GRANT SELECT, INSERT, DELETE ON "content_files" TO "training_app";
CREATE POLICY "content_files_select" ON "content_files" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "content_files_insert" ON "content_files" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer')
                AND "created_by" = "app_user_id"());
CREATE POLICY "content_files_delete" ON "content_files" FOR DELETE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));

-- Modules: read by everyone who reads courses, written by admins and safety officers.
GRANT SELECT, INSERT, UPDATE, DELETE ON "course_modules" TO "training_app";
CREATE POLICY "course_modules_select" ON "course_modules" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "course_modules_insert" ON "course_modules" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));
CREATE POLICY "course_modules_update" ON "course_modules" FOR UPDATE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));
CREATE POLICY "course_modules_delete" ON "course_modules" FOR DELETE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));

-- Progress: the assignee's own (their statements), and officers; integrations read.
GRANT SELECT, INSERT, UPDATE ON "module_progress" TO "training_app";
CREATE POLICY "module_progress_select" ON "module_progress" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service') OR "user_id" = "app_user_id"()));
CREATE POLICY "module_progress_insert" ON "module_progress" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"()
                AND ("app_role"() IN ('admin', 'safety_officer') OR "user_id" = "app_user_id"())
                AND EXISTS (SELECT 1 FROM "training_assignments" a
                            WHERE a.tenant_id = "module_progress".tenant_id AND a.id = "module_progress".assignment_id
                              AND a.user_id = "module_progress".user_id));
CREATE POLICY "module_progress_update" ON "module_progress" FOR UPDATE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer') OR "user_id" = "app_user_id"()))
    WITH CHECK ("tenant_id" = "app_tenant_id"()
                AND ("app_role"() IN ('admin', 'safety_officer') OR "user_id" = "app_user_id"()));

-- Content evidence is recorded by the transaction that satisfies the last required module, as the system
-- (no recorder), only when the assignment's course has required modules and every one of them is satisfied.
CREATE POLICY "training_evidence_insert_content" ON "training_evidence" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "kind" = 'content' AND "passed" AND "recorded_by" IS NULL
                AND EXISTS (SELECT 1 FROM "training_assignments" a
                            JOIN "course_modules" m ON m.tenant_id = a.tenant_id AND m.course_id = a.course_id
                            WHERE a.tenant_id = "training_evidence".tenant_id
                              AND a.id = "training_evidence".assignment_id AND m.required)
                AND NOT EXISTS (
                    SELECT 1 FROM "training_assignments" a
                    JOIN "course_modules" m ON m.tenant_id = a.tenant_id AND m.course_id = a.course_id AND m.required
                    LEFT JOIN "module_progress" p ON p.tenant_id = m.tenant_id AND p.module_id = m.id
                                                 AND p.assignment_id = a.id
                    WHERE a.tenant_id = "training_evidence".tenant_id AND a.id = "training_evidence".assignment_id
                      AND p.satisfied_at IS NULL));

-- An AU appears once per course: importing a package again updates its AUs in place (their progress kept).
CREATE UNIQUE INDEX "course_modules_tenant_id_course_id_activity_id_key"
    ON "course_modules" ("tenant_id", "course_id", "activity_id") WHERE "activity_id" IS NOT NULL;
