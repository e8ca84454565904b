-- Every key of a tenant table includes tenant_id, so that a cluster that spreads tenants over nodes
-- (Citus, distributing each tenant table by tenant_id) can hold each key and check each reference on
-- the one node of its tenant. Rows are kept: keys only gain a column, so nothing can newly collide.
--   * Primary keys: (tenant_id, id). The ids stay unique in practice (gen_random_uuid()).
--   * Unique keys and unique indexes: tenant_id first.
--   * Foreign keys between tenant tables: (tenant_id, x_id) -> (tenant_id, id); no ON UPDATE action
--     (no key is ever updated; a distributed key cannot cascade an update), and no ON DELETE SET NULL
--     (refused on a key that holds the distribution column, even as SET NULL (column)).

-- Foreign keys go first: they hang on the keys below, and are added back at the end.
ALTER TABLE "shift_assignments" DROP CONSTRAINT "shift_assignments_tenant_id_user_id_fkey";
ALTER TABLE "equipment_operators" DROP CONSTRAINT "equipment_operators_tenant_id_user_id_fkey";
ALTER TABLE "training_assignments"
    DROP CONSTRAINT "training_assignments_recertification_of_fkey",
    DROP CONSTRAINT "training_assignments_tenant_id_course_id_fkey",
    DROP CONSTRAINT "training_assignments_tenant_id_user_id_fkey",
    DROP CONSTRAINT "training_assignments_trigger_score_id_fkey";
ALTER TABLE "training_completions"
    DROP CONSTRAINT "training_completions_tenant_id_assignment_id_fkey",
    DROP CONSTRAINT "training_completions_tenant_id_course_id_fkey",
    DROP CONSTRAINT "training_completions_tenant_id_user_id_fkey";
ALTER TABLE "certificates"
    DROP CONSTRAINT "certificates_completion_id_fkey",
    DROP CONSTRAINT "certificates_tenant_id_course_id_fkey",
    DROP CONSTRAINT "certificates_tenant_id_user_id_fkey";
ALTER TABLE "notifications"
    DROP CONSTRAINT "notifications_assignment_id_fkey",
    DROP CONSTRAINT "notifications_completion_id_fkey";
ALTER TABLE "risk_escalations"
    DROP CONSTRAINT "risk_escalations_assignment_fkey",
    DROP CONSTRAINT "risk_escalations_completion_fkey",
    DROP CONSTRAINT "risk_escalations_course_fkey",
    DROP CONSTRAINT "risk_escalations_user_fkey";
ALTER TABLE "training_evidence"
    DROP CONSTRAINT "training_evidence_tenant_id_assignment_id_fkey",
    DROP CONSTRAINT "training_evidence_tenant_id_user_id_fkey";
ALTER TABLE "quiz_choices" DROP CONSTRAINT "quiz_choices_tenant_id_question_id_fkey";
ALTER TABLE "course_quizzes" DROP CONSTRAINT "course_quizzes_tenant_id_course_id_fkey";
ALTER TABLE "quiz_attempts"
    DROP CONSTRAINT "quiz_attempts_tenant_id_assignment_id_fkey",
    DROP CONSTRAINT "quiz_attempts_tenant_id_course_id_fkey",
    DROP CONSTRAINT "quiz_attempts_tenant_id_user_id_fkey";
ALTER TABLE "quiz_attempt_questions"
    DROP CONSTRAINT "quiz_attempt_questions_tenant_id_attempt_id_fkey",
    DROP CONSTRAINT "quiz_attempt_questions_tenant_id_question_id_fkey";
ALTER TABLE "quiz_answers" DROP CONSTRAINT "quiz_answers_tenant_id_attempt_id_question_id_fkey";
ALTER TABLE "course_modules"
    DROP CONSTRAINT "course_modules_tenant_id_content_id_fkey",
    DROP CONSTRAINT "course_modules_tenant_id_course_id_fkey";
ALTER TABLE "module_progress"
    DROP CONSTRAINT "module_progress_tenant_id_assignment_id_fkey",
    DROP CONSTRAINT "module_progress_tenant_id_module_id_fkey",
    DROP CONSTRAINT "module_progress_tenant_id_user_id_fkey";
ALTER TABLE "idempotency_keys" DROP CONSTRAINT "idempotency_keys_tenant_id_user_id_fkey";

-- Primary keys (tenant_id, id). The unique (tenant_id, id) that references pointed at is the
-- primary key now.
ALTER TABLE "predictive_scores"
    DROP CONSTRAINT "predictive_scores_pkey",
    DROP CONSTRAINT "predictive_scores_tenant_id_id_key",
    ADD CONSTRAINT "predictive_scores_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "equipment_operators"
    DROP CONSTRAINT "equipment_operators_pkey",
    ADD CONSTRAINT "equipment_operators_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "training_courses"
    DROP CONSTRAINT "training_courses_pkey",
    DROP CONSTRAINT "training_courses_tenant_id_id_key",
    ADD CONSTRAINT "training_courses_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "training_assignments"
    DROP CONSTRAINT "training_assignments_pkey",
    DROP CONSTRAINT "training_assignments_tenant_id_id_key",
    ADD CONSTRAINT "training_assignments_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "training_completions"
    DROP CONSTRAINT "training_completions_pkey",
    DROP CONSTRAINT "training_completions_tenant_id_id_key",
    ADD CONSTRAINT "training_completions_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "scheduled_job_runs"
    DROP CONSTRAINT "scheduled_job_runs_pkey",
    ADD CONSTRAINT "scheduled_job_runs_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "certificates"
    DROP CONSTRAINT "certificates_pkey",
    ADD CONSTRAINT "certificates_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "notifications"
    DROP CONSTRAINT "notifications_pkey",
    ADD CONSTRAINT "notifications_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "risk_escalations"
    DROP CONSTRAINT "risk_escalations_pkey",
    ADD CONSTRAINT "risk_escalations_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "training_evidence"
    DROP CONSTRAINT "training_evidence_pkey",
    DROP CONSTRAINT "training_evidence_tenant_id_id_key",
    ADD CONSTRAINT "training_evidence_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "quiz_questions"
    DROP CONSTRAINT "quiz_questions_pkey",
    DROP CONSTRAINT "quiz_questions_tenant_id_id_key",
    ADD CONSTRAINT "quiz_questions_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "quiz_choices"
    DROP CONSTRAINT "quiz_choices_pkey",
    ADD CONSTRAINT "quiz_choices_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "course_quizzes"
    DROP CONSTRAINT "course_quizzes_pkey",
    ADD CONSTRAINT "course_quizzes_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "quiz_attempts"
    DROP CONSTRAINT "quiz_attempts_pkey",
    DROP CONSTRAINT "quiz_attempts_tenant_id_id_key",
    ADD CONSTRAINT "quiz_attempts_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "quiz_attempt_questions"
    DROP CONSTRAINT "quiz_attempt_questions_pkey",
    ADD CONSTRAINT "quiz_attempt_questions_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "quiz_answers"
    DROP CONSTRAINT "quiz_answers_pkey",
    ADD CONSTRAINT "quiz_answers_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "lrs_credentials"
    DROP CONSTRAINT "lrs_credentials_pkey",
    DROP CONSTRAINT "lrs_credentials_tenant_id_id_key",
    ADD CONSTRAINT "lrs_credentials_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "xapi_launch_tokens"
    DROP CONSTRAINT "xapi_launch_tokens_pkey",
    DROP CONSTRAINT "xapi_launch_tokens_tenant_id_id_key",
    ADD CONSTRAINT "xapi_launch_tokens_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "content_files"
    DROP CONSTRAINT "content_files_pkey",
    DROP CONSTRAINT "content_files_tenant_id_id_key",
    ADD CONSTRAINT "content_files_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "course_modules"
    DROP CONSTRAINT "course_modules_pkey",
    DROP CONSTRAINT "course_modules_tenant_id_id_key",
    ADD CONSTRAINT "course_modules_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "module_progress"
    DROP CONSTRAINT "module_progress_pkey",
    DROP CONSTRAINT "module_progress_tenant_id_id_key",
    ADD CONSTRAINT "module_progress_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "audit_events"
    DROP CONSTRAINT "audit_events_pkey",
    DROP CONSTRAINT "audit_events_tenant_id_id_key",
    ADD CONSTRAINT "audit_events_pkey" PRIMARY KEY ("tenant_id", "id");

-- Unique keys that did not name the tenant. A certificate's code stays unique across tenants in
-- practice (random, 128 bits); the database now checks it within the tenant.
ALTER TABLE "certificates"
    DROP CONSTRAINT "certificates_code_key",
    DROP CONSTRAINT "certificates_completion_id_key",
    ADD CONSTRAINT "certificates_tenant_id_code_key" UNIQUE ("tenant_id", "code"),
    ADD CONSTRAINT "certificates_tenant_id_completion_id_key" UNIQUE ("tenant_id", "completion_id");
ALTER TABLE "quiz_attempts"
    DROP CONSTRAINT "quiz_attempts_assignment_id_number_key",
    ADD CONSTRAINT "quiz_attempts_tenant_id_assignment_id_number_key" UNIQUE ("tenant_id", "assignment_id", "number");
ALTER TABLE "quiz_attempt_questions"
    DROP CONSTRAINT "quiz_attempt_questions_attempt_id_position_key",
    ADD CONSTRAINT "quiz_attempt_questions_tenant_id_attempt_id_position_key" UNIQUE ("tenant_id", "attempt_id", "position");
DROP INDEX "training_assignments_one_per_recertified_completion";
CREATE UNIQUE INDEX "training_assignments_one_per_recertified_completion"
    ON "training_assignments" ("tenant_id", "recertification_of") WHERE "recertification_of" IS NOT NULL;
DROP INDEX "quiz_attempts_one_in_progress";
CREATE UNIQUE INDEX "quiz_attempts_one_in_progress"
    ON "quiz_attempts" ("tenant_id", "assignment_id") WHERE "status" = 'in_progress';

-- The foreign keys again, on the tenant, without ON UPDATE actions.
ALTER TABLE "shift_assignments"
    ADD CONSTRAINT "shift_assignments_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "equipment_operators"
    ADD CONSTRAINT "equipment_operators_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE;
-- The score that triggered a risk-based assignment was ON DELETE SET NULL: no statement of the API
-- deletes a score (only the owner could), so NO ACTION keeps what the API does.
-- recertification_of gets no foreign key: it and training_completions.assignment_id would reference
-- each other's table, a cycle a cluster cannot distribute (each table must find the other already
-- distributed). It is written only by the recertification run, from a passed completion of the same
-- tenant read in the same statement, and the API deletes no completion; reads join it on
-- (tenant_id, recertification_of), and one renewal per completion is still unique (above).
ALTER TABLE "training_assignments"
    ADD CONSTRAINT "training_assignments_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "training_assignments_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "training_assignments_trigger_score_id_fkey" FOREIGN KEY ("tenant_id", "trigger_score_id")
        REFERENCES "predictive_scores" ("tenant_id", "id");
ALTER TABLE "training_completions"
    ADD CONSTRAINT "training_completions_tenant_id_assignment_id_fkey" FOREIGN KEY ("tenant_id", "assignment_id")
        REFERENCES "training_assignments" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "training_completions_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "training_completions_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "certificates"
    ADD CONSTRAINT "certificates_tenant_id_completion_id_fkey" FOREIGN KEY ("tenant_id", "completion_id")
        REFERENCES "training_completions" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "certificates_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "certificates_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "notifications"
    ADD CONSTRAINT "notifications_assignment_id_fkey" FOREIGN KEY ("tenant_id", "assignment_id")
        REFERENCES "training_assignments" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "notifications_completion_id_fkey" FOREIGN KEY ("tenant_id", "completion_id")
        REFERENCES "training_completions" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "risk_escalations"
    ADD CONSTRAINT "risk_escalations_assignment_fkey" FOREIGN KEY ("tenant_id", "assignment_id")
        REFERENCES "training_assignments" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "risk_escalations_completion_fkey" FOREIGN KEY ("tenant_id", "completion_id")
        REFERENCES "training_completions" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "risk_escalations_course_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "risk_escalations_user_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "training_evidence"
    ADD CONSTRAINT "training_evidence_tenant_id_assignment_id_fkey" FOREIGN KEY ("tenant_id", "assignment_id")
        REFERENCES "training_assignments" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "training_evidence_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "quiz_choices"
    ADD CONSTRAINT "quiz_choices_tenant_id_question_id_fkey" FOREIGN KEY ("tenant_id", "question_id")
        REFERENCES "quiz_questions" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "course_quizzes"
    ADD CONSTRAINT "course_quizzes_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "quiz_attempts"
    ADD CONSTRAINT "quiz_attempts_tenant_id_assignment_id_fkey" FOREIGN KEY ("tenant_id", "assignment_id")
        REFERENCES "training_assignments" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "quiz_attempts_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "quiz_attempts_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "quiz_attempt_questions"
    ADD CONSTRAINT "quiz_attempt_questions_tenant_id_attempt_id_fkey" FOREIGN KEY ("tenant_id", "attempt_id")
        REFERENCES "quiz_attempts" ("tenant_id", "id") ON DELETE CASCADE,
    -- Deferred as before: a question an attempt showed cannot be deleted (checked at commit).
    ADD CONSTRAINT "quiz_attempt_questions_tenant_id_question_id_fkey" FOREIGN KEY ("tenant_id", "question_id")
        REFERENCES "quiz_questions" ("tenant_id", "id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "quiz_answers"
    ADD CONSTRAINT "quiz_answers_tenant_id_attempt_id_question_id_fkey"
        FOREIGN KEY ("tenant_id", "attempt_id", "question_id")
        REFERENCES "quiz_attempt_questions" ("tenant_id", "attempt_id", "question_id") ON DELETE CASCADE;
ALTER TABLE "course_modules"
    ADD CONSTRAINT "course_modules_tenant_id_content_id_fkey" FOREIGN KEY ("tenant_id", "content_id")
        REFERENCES "content_files" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "course_modules_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "module_progress"
    ADD CONSTRAINT "module_progress_tenant_id_assignment_id_fkey" FOREIGN KEY ("tenant_id", "assignment_id")
        REFERENCES "training_assignments" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "module_progress_tenant_id_module_id_fkey" FOREIGN KEY ("tenant_id", "module_id")
        REFERENCES "course_modules" ("tenant_id", "id") ON DELETE CASCADE,
    ADD CONSTRAINT "module_progress_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "idempotency_keys"
    ADD CONSTRAINT "idempotency_keys_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE;
