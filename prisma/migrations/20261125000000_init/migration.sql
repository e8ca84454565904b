-- Safety Training: tables, constraints and indexes (SPEC §2, §9).
-- Columns, defaults and CHECKs of the original module are kept exactly; additions
-- are marked. Tenancy is a database invariant: every child row references its
-- parent by (tenant_id, id), so no row can point into another tenant.

-- A person may belong to several tenants (one identity-provider subject), so a
-- profile is keyed by (tenant_id, id).
CREATE TABLE "profiles" (
    "id"           UUID NOT NULL,
    "tenant_id"    UUID NOT NULL,
    "display_name" TEXT,
    "email"        TEXT,
    "role"         TEXT NOT NULL CHECK ("role" IN ('admin', 'safety_officer', 'worker', 'service')),
    "created_at"   TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "updated_at"   TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "profiles_pkey" PRIMARY KEY ("tenant_id", "id")
);
CREATE INDEX "profiles_tenant_id_role_idx" ON "profiles" ("tenant_id", "role");

CREATE TABLE "predictive_scores" (
    "id"          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"   UUID NOT NULL,
    "entity_type" TEXT NOT NULL CHECK ("entity_type" IN ('zone', 'driver', 'worker', 'equipment')),
    "entity_id"   UUID NOT NULL,
    "score"       DECIMAL NOT NULL CHECK ("score" >= 0 AND "score" <= 100),
    "computed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "created_at"  TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
CREATE INDEX "predictive_scores_tenant_id_entity_type_entity_id_computed_at_idx"
    ON "predictive_scores" ("tenant_id", "entity_type", "entity_id", "computed_at" DESC);

CREATE TABLE "shift_assignments" (
    "id"        UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "zone_id"   UUID NOT NULL,
    "user_id"   UUID NOT NULL,
    "starts_at" TIMESTAMPTZ(6) NOT NULL,
    "ends_at"   TIMESTAMPTZ(6) NOT NULL,
    CONSTRAINT "shift_assignments_ends_after_starts" CHECK ("ends_at" > "starts_at"),
    CONSTRAINT "shift_assignments_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "shift_assignments_tenant_id_zone_id_ends_at_idx" ON "shift_assignments" ("tenant_id", "zone_id", "ends_at");
CREATE INDEX "shift_assignments_tenant_id_user_id_idx" ON "shift_assignments" ("tenant_id", "user_id");

CREATE TABLE "equipment_operators" (
    "id"           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"    UUID NOT NULL,
    "equipment_id" UUID NOT NULL,
    "user_id"      UUID NOT NULL,
    CONSTRAINT "equipment_operators_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "equipment_operators_tenant_id_equipment_id_user_id_key"
    ON "equipment_operators" ("tenant_id", "equipment_id", "user_id");
CREATE INDEX "equipment_operators_tenant_id_user_id_idx" ON "equipment_operators" ("tenant_id", "user_id");

CREATE TABLE "training_courses" (
    "id"                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"           UUID NOT NULL,
    "title"               TEXT NOT NULL,
    "description"         TEXT,
    "category"            TEXT NOT NULL CHECK ("category" IN (
                              'safety_fundamentals', 'hazard_awareness', 'equipment_safety',
                              'emergency_response', 'compliance', 'risk_management', 'other')),
    "content_url"         TEXT,
    "duration_minutes"    INTEGER CHECK ("duration_minutes" > 0),               -- addition: positive
    "difficulty_level"    TEXT CHECK ("difficulty_level" IN ('beginner', 'intermediate', 'advanced')),
    "risk_threshold"      DECIMAL CHECK ("risk_threshold" >= 0 AND "risk_threshold" <= 100),
    "entity_type"         TEXT CHECK ("entity_type" IN ('zone', 'driver', 'worker', 'equipment', 'general')),
    "auto_assign_enabled" BOOLEAN NOT NULL DEFAULT false,
    "required"            BOOLEAN NOT NULL DEFAULT false,
    "expiry_months"       INTEGER CHECK ("expiry_months" > 0),                  -- addition: positive
    "issues_certificate"  BOOLEAN NOT NULL DEFAULT false,                        -- addition (SPEC §4)
    "created_by"          UUID NOT NULL,
    "created_at"          TIMESTAMPTZ(6) DEFAULT now(),
    "updated_at"          TIMESTAMPTZ(6) DEFAULT now(),
    CONSTRAINT "training_courses_tenant_id_id_key" UNIQUE ("tenant_id", "id")
);
CREATE INDEX "training_courses_tenant_id_category_idx" ON "training_courses" ("tenant_id", "category");
CREATE INDEX "training_courses_tenant_id_created_at_idx" ON "training_courses" ("tenant_id", "created_at" DESC);

CREATE TABLE "training_assignments" (
    "id"                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"           UUID NOT NULL,
    "course_id"           UUID NOT NULL,
    "user_id"             UUID NOT NULL,
    "assigned_by"         UUID,
    "assignment_type"     TEXT NOT NULL DEFAULT 'manual' CHECK ("assignment_type" IN ('manual', 'auto', 'risk_based')),
    "assignment_reason"   TEXT,
    "due_date"            DATE,
    "status"              TEXT NOT NULL DEFAULT 'assigned' CHECK ("status" IN ('assigned', 'in_progress', 'completed', 'overdue', 'cancelled')),
    "assigned_at"         TIMESTAMPTZ(6) DEFAULT now(),
    "started_at"          TIMESTAMPTZ(6),
    "completed_at"        TIMESTAMPTZ(6),
    "cancelled_at"        TIMESTAMPTZ(6),
    "cancelled_by"        UUID,
    "cancel_reason"       TEXT,                                                 -- addition
    -- addition: what triggered a risk-based assignment (SPEC §4 step 7)
    "trigger_score_id"    UUID,
    "trigger_score"       DECIMAL,
    "trigger_threshold"   DECIMAL,
    "trigger_entity_type" TEXT CHECK ("trigger_entity_type" IN ('zone', 'driver', 'worker', 'equipment')),
    "trigger_entity_id"   UUID,
    "created_at"          TIMESTAMPTZ(6) DEFAULT now(),
    "updated_at"          TIMESTAMPTZ(6) DEFAULT now(),
    CONSTRAINT "training_assignments_tenant_id_id_key" UNIQUE ("tenant_id", "id"),
    CONSTRAINT "training_assignments_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "training_assignments_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "training_assignments_trigger_score_id_fkey" FOREIGN KEY ("trigger_score_id")
        REFERENCES "predictive_scores" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX "training_assignments_tenant_id_user_id_status_idx" ON "training_assignments" ("tenant_id", "user_id", "status");
CREATE INDEX "training_assignments_tenant_id_course_id_status_idx" ON "training_assignments" ("tenant_id", "course_id", "status");
CREATE INDEX "training_assignments_tenant_id_status_due_date_idx" ON "training_assignments" ("tenant_id", "status", "due_date");
CREATE INDEX "training_assignments_tenant_id_created_at_idx" ON "training_assignments" ("tenant_id", "created_at" DESC);
CREATE INDEX "training_assignments_trigger_score_id_idx" ON "training_assignments" ("trigger_score_id");
-- One active assignment per (tenant, course, user): a database invariant, so no race
-- between API instances or auto-assignment runs can create duplicates.
CREATE UNIQUE INDEX "training_assignments_one_active_per_user_course"
    ON "training_assignments" ("tenant_id", "course_id", "user_id")
    WHERE "status" IN ('assigned', 'in_progress', 'overdue');

CREATE TABLE "training_completions" (
    "id"                      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"               UUID NOT NULL,
    "assignment_id"           UUID NOT NULL,
    "course_id"               UUID NOT NULL,
    "user_id"                 UUID NOT NULL,
    "score"                   DECIMAL CHECK ("score" >= 0 AND "score" <= 100),   -- addition: range
    "passed"                  BOOLEAN NOT NULL DEFAULT true,
    "completion_time_minutes" INTEGER CHECK ("completion_time_minutes" > 0),      -- addition: positive
    "certificate_url"         TEXT,
    "completed_at"            TIMESTAMPTZ(6) DEFAULT now(),
    "expires_at"              DATE,
    "created_at"              TIMESTAMPTZ(6) DEFAULT now(),
    CONSTRAINT "training_completions_tenant_id_assignment_id_fkey" FOREIGN KEY ("tenant_id", "assignment_id")
        REFERENCES "training_assignments" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "training_completions_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "training_completions_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "training_completions_tenant_id_assignment_id_completed_at_idx"
    ON "training_completions" ("tenant_id", "assignment_id", "completed_at" DESC);
CREATE INDEX "training_completions_tenant_id_user_id_course_id_completed_at_idx"
    ON "training_completions" ("tenant_id", "user_id", "course_id", "completed_at" DESC);
CREATE INDEX "training_completions_tenant_id_course_id_idx" ON "training_completions" ("tenant_id", "course_id");
CREATE INDEX "training_completions_tenant_id_completed_at_idx" ON "training_completions" ("tenant_id", "completed_at" DESC);

-- updated_at is maintained by the database, whoever writes the row.
CREATE FUNCTION "set_updated_at"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER "profiles_set_updated_at" BEFORE UPDATE ON "profiles"
    FOR EACH ROW EXECUTE FUNCTION "set_updated_at"();
CREATE TRIGGER "training_courses_set_updated_at" BEFORE UPDATE ON "training_courses"
    FOR EACH ROW EXECUTE FUNCTION "set_updated_at"();
CREATE TRIGGER "training_assignments_set_updated_at" BEFORE UPDATE ON "training_assignments"
    FOR EACH ROW EXECUTE FUNCTION "set_updated_at"();
