-- Quizzes scored by the server: a question bank per tenant, a course's quiz, attempts and their answers.
--
-- What a worker may never read is the key: which choices earn credit, the accepted answers, the numeric
-- answer and tolerance, the partners of a matching question, the right order of an ordering question, and
-- the feedback. All of it lives in "quiz_questions" and "quiz_choices", which only admins and safety
-- officers select. An attempt freezes what its assignee is shown (text, points, the choices' ids and texts in
-- the order shown) in "quiz_attempt_questions", which holds nothing of the key: the order shown is a uniform
-- shuffle wherever it could tell (ORDERING, MATCHING, and choices when the quiz shuffles them), and a
-- MATCHING question's partners carry ids drawn for the attempt, so no id pairs an item with its partner.
--
-- Drawing, scoring and reviewing need the key for a worker's own attempt. They are SECURITY DEFINER
-- functions owned by "training_quiz_grader", a role that cannot log in and reads only the caller's tenant
-- (its policies), rather than work run in a context that may read keys: every statement of a request still
-- runs as the caller, so a resolver bug cannot select a key, and each function answers only what its caller
-- may learn at that moment (a score only for a closed attempt, the answers only when the review allows). The
-- one scoring rule, "quiz_question_credits", is a set-based SQL function used by submitting, the deadline
-- job, regrading and item analysis alike; it runs with its caller's rights, so it reads the key only for
-- officers and the grader.

CREATE TABLE "quiz_questions" (
    "id"               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"        UUID NOT NULL,
    "kind"             TEXT NOT NULL CHECK ("kind" IN ('single_choice', 'multiple_choice', 'true_false', 'numeric',
                                                      'short_answer', 'matching', 'ordering')),
    "text"             TEXT NOT NULL CHECK (char_length("text") BETWEEN 1 AND 5000),
    "points"           DOUBLE PRECISION NOT NULL DEFAULT 1 CHECK ("points" > 0 AND "points" <= 1000),
    "tags"             TEXT[] NOT NULL DEFAULT '{}',
    "accepted_answers" TEXT[] NOT NULL DEFAULT '{}',
    "numeric_answer"   DOUBLE PRECISION,
    "tolerance"        DOUBLE PRECISION CHECK ("tolerance" >= 0),
    "general_feedback" TEXT,
    "created_by"       UUID NOT NULL,
    "created_at"       TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "updated_at"       TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "quiz_questions_tenant_id_id_key" UNIQUE ("tenant_id", "id"),
    CONSTRAINT "quiz_questions_numeric_answer_check" CHECK ("kind" <> 'numeric' OR "numeric_answer" IS NOT NULL)
);
CREATE INDEX "quiz_questions_tenant_id_created_at_idx" ON "quiz_questions" ("tenant_id", "created_at" DESC);
-- Drawing takes the questions carrying any of a quiz's tags (&&).
CREATE INDEX "quiz_questions_tags_idx" ON "quiz_questions" USING gin ("tags");
CREATE TRIGGER "quiz_questions_set_updated_at" BEFORE UPDATE ON "quiz_questions"
    FOR EACH ROW EXECUTE FUNCTION "set_updated_at"();

-- A choice keeps its id across edits, so saved answers still point at it. `position` is the order written
-- (an ORDERING question's right order); `match_text` is a MATCHING item's partner.
CREATE TABLE "quiz_choices" (
    "id"          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"   UUID NOT NULL,
    "question_id" UUID NOT NULL,
    "position"    INTEGER NOT NULL CHECK ("position" >= 0),
    "text"        TEXT NOT NULL CHECK (char_length("text") <= 2000),
    "credit"      DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK ("credit" BETWEEN -100 AND 100),
    "feedback"    TEXT,
    "match_text"  TEXT,
    CONSTRAINT "quiz_choices_tenant_id_question_id_fkey" FOREIGN KEY ("tenant_id", "question_id")
        REFERENCES "quiz_questions" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "quiz_choices_tenant_id_question_id_position_idx" ON "quiz_choices" ("tenant_id", "question_id", "position");

CREATE TABLE "course_quizzes" (
    "id"                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"          UUID NOT NULL,
    "course_id"          UUID NOT NULL,
    "tags"               TEXT[] NOT NULL CHECK (cardinality("tags") BETWEEN 1 AND 50),
    "question_count"     INTEGER NOT NULL CHECK ("question_count" BETWEEN 1 AND 100),
    "pass_mark"          DOUBLE PRECISION NOT NULL CHECK ("pass_mark" BETWEEN 0 AND 100),
    "time_limit_minutes" INTEGER CHECK ("time_limit_minutes" BETWEEN 1 AND 1440),
    "max_attempts"       INTEGER CHECK ("max_attempts" BETWEEN 1 AND 100),
    "cooldown_minutes"   INTEGER NOT NULL DEFAULT 0 CHECK ("cooldown_minutes" BETWEEN 0 AND 525600),
    "shuffle_choices"    BOOLEAN NOT NULL DEFAULT true,
    "review"             TEXT NOT NULL DEFAULT 'score'
                         CHECK ("review" IN ('none', 'score', 'answers', 'answers_after_pass')),
    "updated_by"         UUID NOT NULL,
    "created_at"         TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "updated_at"         TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "course_quizzes_tenant_id_course_id_key" UNIQUE ("tenant_id", "course_id"),
    CONSTRAINT "course_quizzes_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TRIGGER "course_quizzes_set_updated_at" BEFORE UPDATE ON "course_quizzes"
    FOR EACH ROW EXECUTE FUNCTION "set_updated_at"();

-- An attempt keeps the pass mark it was taken under; `deadline` is the server's (null: no time limit).
CREATE TABLE "quiz_attempts" (
    "id"            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"     UUID NOT NULL,
    "assignment_id" UUID NOT NULL,
    "course_id"     UUID NOT NULL,
    "user_id"       UUID NOT NULL,
    "number"        INTEGER NOT NULL CHECK ("number" >= 1),
    "status"        TEXT NOT NULL DEFAULT 'in_progress' CHECK ("status" IN ('in_progress', 'submitted')),
    "started_at"    TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "deadline"      TIMESTAMPTZ(6),
    "last_saved_at" TIMESTAMPTZ(6),
    "submitted_at"  TIMESTAMPTZ(6),
    "pass_mark"     DOUBLE PRECISION NOT NULL CHECK ("pass_mark" BETWEEN 0 AND 100),
    "score"         DOUBLE PRECISION CHECK ("score" BETWEEN 0 AND 100),
    "passed"        BOOLEAN,
    CONSTRAINT "quiz_attempts_tenant_id_id_key" UNIQUE ("tenant_id", "id"),
    CONSTRAINT "quiz_attempts_assignment_id_number_key" UNIQUE ("assignment_id", "number"),
    CONSTRAINT "quiz_attempts_result_check" CHECK (
        ("status" = 'in_progress' AND "submitted_at" IS NULL AND "score" IS NULL AND "passed" IS NULL)
        OR ("status" = 'submitted' AND "submitted_at" IS NOT NULL AND "score" IS NOT NULL AND "passed" IS NOT NULL)),
    CONSTRAINT "quiz_attempts_tenant_id_assignment_id_fkey" FOREIGN KEY ("tenant_id", "assignment_id")
        REFERENCES "training_assignments" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "quiz_attempts_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id")
        REFERENCES "training_courses" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "quiz_attempts_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id")
        REFERENCES "profiles" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "quiz_attempts_tenant_id_assignment_id_idx" ON "quiz_attempts" ("tenant_id", "assignment_id");
CREATE INDEX "quiz_attempts_tenant_id_course_id_status_idx" ON "quiz_attempts" ("tenant_id", "course_id", "status");
CREATE INDEX "quiz_attempts_tenant_id_user_id_idx" ON "quiz_attempts" ("tenant_id", "user_id");
-- One attempt in progress per assignment, whatever races; and the deadline job's look-up.
CREATE UNIQUE INDEX "quiz_attempts_one_in_progress" ON "quiz_attempts" ("assignment_id") WHERE "status" = 'in_progress';
CREATE INDEX "quiz_attempts_open_deadline_idx" ON "quiz_attempts" ("tenant_id", "deadline") WHERE "status" = 'in_progress';

-- What the attempt shows: `choices` [{id, text}] in the order shown (a MATCHING question's partners, with
-- ids drawn for the attempt), `items` [{id, text}] a MATCHING question's left side.
CREATE TABLE "quiz_attempt_questions" (
    "id"          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"   UUID NOT NULL,
    "attempt_id"  UUID NOT NULL,
    "question_id" UUID NOT NULL,
    "position"    INTEGER NOT NULL,
    "kind"        TEXT NOT NULL,
    "text"        TEXT NOT NULL,
    "points"      DOUBLE PRECISION NOT NULL,
    "choices"     JSONB NOT NULL,
    "items"       JSONB,
    CONSTRAINT "quiz_attempt_questions_tenant_id_attempt_id_question_id_key" UNIQUE ("tenant_id", "attempt_id", "question_id"),
    CONSTRAINT "quiz_attempt_questions_attempt_id_position_key" UNIQUE ("attempt_id", "position"),
    CONSTRAINT "quiz_attempt_questions_tenant_id_attempt_id_fkey" FOREIGN KEY ("tenant_id", "attempt_id")
        REFERENCES "quiz_attempts" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
    -- A question an attempt showed cannot be deleted (checked at commit).
    CONSTRAINT "quiz_attempt_questions_tenant_id_question_id_fkey" FOREIGN KEY ("tenant_id", "question_id")
        REFERENCES "quiz_questions" ("tenant_id", "id") ON DELETE NO ACTION ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX "quiz_attempt_questions_tenant_id_question_id_idx" ON "quiz_attempt_questions" ("tenant_id", "question_id");

-- One row per (attempt, question); the latest save wins, an identical save changes nothing (revision).
CREATE TABLE "quiz_answers" (
    "id"          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenant_id"   UUID NOT NULL,
    "attempt_id"  UUID NOT NULL,
    "question_id" UUID NOT NULL,
    "choice_ids"  UUID[] NOT NULL,
    "number"      DOUBLE PRECISION,
    "text"        TEXT,
    "matches"     JSONB,
    "ordering"    UUID[] NOT NULL,
    "revision"    INTEGER NOT NULL DEFAULT 1,
    "saved_at"    TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "quiz_answers_tenant_id_attempt_id_question_id_key" UNIQUE ("tenant_id", "attempt_id", "question_id"),
    CONSTRAINT "quiz_answers_tenant_id_attempt_id_question_id_fkey" FOREIGN KEY ("tenant_id", "attempt_id", "question_id")
        REFERENCES "quiz_attempt_questions" ("tenant_id", "attempt_id", "question_id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- ---------------------------------------------------------------- the application role

ALTER TABLE "quiz_questions" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "quiz_choices" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "course_quizzes" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "quiz_attempts" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "quiz_attempt_questions" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE "quiz_answers" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- The bank: admins and safety officers only (the key is in it).
GRANT SELECT, INSERT, UPDATE, DELETE ON "quiz_questions", "quiz_choices" TO "training_app";
CREATE POLICY "quiz_questions_officers" ON "quiz_questions" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));
CREATE POLICY "quiz_choices_officers" ON "quiz_choices" FOR ALL TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));

-- A course's quiz settings: read by everyone who reads courses, set by admins and safety officers.
GRANT SELECT, INSERT, UPDATE, DELETE ON "course_quizzes" TO "training_app";
CREATE POLICY "course_quizzes_select" ON "course_quizzes" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "course_quizzes_insert" ON "course_quizzes" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));
CREATE POLICY "course_quizzes_update" ON "course_quizzes" FOR UPDATE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));
CREATE POLICY "course_quizzes_delete" ON "course_quizzes" FOR DELETE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "app_role"() IN ('admin', 'safety_officer'));

-- Attempts: the assignee reads their own, officers and integrations the tenant's. Only the grader's functions
-- create, close and score them. The assignee may touch `last_saved_at` of an open attempt of their own: each
-- save does, which takes the attempt's row lock, so a save and the attempt's closing never interleave (a
-- save either lands before the scoring reads the answers, or is refused as closed).
GRANT SELECT ON "quiz_attempts" TO "training_app";
GRANT UPDATE ("last_saved_at") ON "quiz_attempts" TO "training_app";
CREATE POLICY "quiz_attempts_select" ON "quiz_attempts" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service') OR "user_id" = "app_user_id"()));
CREATE POLICY "quiz_attempts_save" ON "quiz_attempts" FOR UPDATE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "user_id" = "app_user_id"() AND "status" = 'in_progress'
           AND ("deadline" IS NULL OR "deadline" > now()))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "user_id" = "app_user_id"() AND "status" = 'in_progress');

GRANT SELECT ON "quiz_attempt_questions" TO "training_app";
CREATE POLICY "quiz_attempt_questions_select" ON "quiz_attempt_questions" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service')
                OR EXISTS (SELECT 1 FROM "quiz_attempts" a
                           WHERE a.tenant_id = "quiz_attempt_questions".tenant_id
                             AND a.id = "quiz_attempt_questions".attempt_id AND a.user_id = "app_user_id"())));

-- Answers: written only by the attempt's assignee while it is open.
GRANT SELECT, INSERT, UPDATE ON "quiz_answers" TO "training_app";
CREATE FUNCTION "quiz_attempt_open_for_caller"(p_tenant_id UUID, p_attempt_id UUID) RETURNS BOOLEAN
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM "quiz_attempts" a
                   WHERE a.tenant_id = p_tenant_id AND a.id = p_attempt_id AND a.user_id = "app_user_id"()
                     AND a.status = 'in_progress' AND (a.deadline IS NULL OR a.deadline > now()))
$$;
CREATE POLICY "quiz_answers_select" ON "quiz_answers" FOR SELECT TO "training_app"
    USING ("tenant_id" = "app_tenant_id"()
           AND ("app_role"() IN ('admin', 'safety_officer', 'service')
                OR EXISTS (SELECT 1 FROM "quiz_attempts" a
                           WHERE a.tenant_id = "quiz_answers".tenant_id AND a.id = "quiz_answers".attempt_id
                             AND a.user_id = "app_user_id"())));
CREATE POLICY "quiz_answers_insert" ON "quiz_answers" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "quiz_attempt_open_for_caller"("tenant_id", "attempt_id"));
CREATE POLICY "quiz_answers_update" ON "quiz_answers" FOR UPDATE TO "training_app"
    USING ("tenant_id" = "app_tenant_id"() AND "quiz_attempt_open_for_caller"("tenant_id", "attempt_id"))
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "quiz_attempt_open_for_caller"("tenant_id", "attempt_id"));

-- ---------------------------------------------------------------- scoring

-- Short answers compare ignoring case and spacing.
CREATE FUNCTION "quiz_normalized_text"(p_text TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS
$$ SELECT lower(regexp_replace(p_text, '\s+', '', 'g')) $$;

-- The credit (0–1 of its points) each question of the given attempts earns with its saved answer, against
-- the current key, using the points and kind the attempt showed:
--   SINGLE_CHOICE, TRUE_FALSE: the chosen choice's credit, within [0, 100] %;
--   MULTIPLE_CHOICE: the sum of the chosen choices' credits, clamped to [0, 100] %;
--   NUMERIC: full within the tolerance; SHORT_ANSWER: full when an accepted answer matches;
--   MATCHING: the share of items given their partner; ORDERING: the share of places holding the right choice.
-- No answer: 0 (and note least()/greatest() skip NULLs: an empty sum is coalesced first). Runs with its caller's rights: for anyone who cannot read the key, every credit is 0.
CREATE FUNCTION "quiz_question_credits"(p_attempt_ids UUID[])
RETURNS TABLE (attempt_id UUID, question_id UUID, points DOUBLE PRECISION, answered BOOLEAN, credit DOUBLE PRECISION)
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT aq.attempt_id, aq.question_id, aq.points, an.id IS NOT NULL,
           coalesce(CASE
               WHEN aq.kind IN ('single_choice', 'true_false') THEN
                   (SELECT greatest(least(c.credit, 100), 0) / 100 FROM "quiz_choices" c
                    WHERE c.tenant_id = aq.tenant_id AND c.question_id = aq.question_id
                      AND cardinality(an.choice_ids) = 1 AND c.id = an.choice_ids[1])
               WHEN aq.kind = 'multiple_choice' THEN
                   (SELECT greatest(least(coalesce(sum(c.credit), 0), 100), 0) / 100 FROM "quiz_choices" c
                    WHERE c.tenant_id = aq.tenant_id AND c.question_id = aq.question_id AND c.id = ANY (an.choice_ids))
               WHEN aq.kind = 'numeric' THEN
                   (SELECT CASE WHEN abs(an.number - q.numeric_answer) <= coalesce(q.tolerance, 0) THEN 1 ELSE 0 END
                    FROM "quiz_questions" q WHERE q.tenant_id = aq.tenant_id AND q.id = aq.question_id)
               WHEN aq.kind = 'short_answer' THEN
                   (SELECT CASE WHEN EXISTS (SELECT 1 FROM unnest(q.accepted_answers) AS accepted(text)
                                             WHERE "quiz_normalized_text"(accepted.text) = "quiz_normalized_text"(an.text))
                                THEN 1 ELSE 0 END
                    FROM "quiz_questions" q WHERE q.tenant_id = aq.tenant_id AND q.id = aq.question_id)
               WHEN aq.kind = 'matching' THEN
                   (SELECT count(*) FILTER (WHERE shown.option ->> 'text' = c.match_text)::float8
                           / nullif(jsonb_array_length(aq.items), 0)
                    FROM jsonb_array_elements(an.matches) AS given(match)
                    JOIN "quiz_choices" c ON c.tenant_id = aq.tenant_id AND c.question_id = aq.question_id
                                         AND c.id::text = given.match ->> 'itemId'
                    JOIN jsonb_array_elements(aq.choices) AS shown(option)
                      ON shown.option ->> 'id' = given.match ->> 'choiceId')
               WHEN aq.kind = 'ordering' THEN
                   (SELECT count(*) FILTER (WHERE given.id = expected.id)::float8 / nullif(jsonb_array_length(aq.choices), 0)
                    FROM unnest(an.ordering) WITH ORDINALITY AS given(id, place)
                    JOIN (SELECT shown.id, row_number() OVER (ORDER BY c.position NULLS LAST, shown.place) AS place
                          FROM (SELECT (option ->> 'id')::uuid AS id, place
                                FROM jsonb_array_elements(aq.choices) WITH ORDINALITY AS o(option, place)) shown
                          LEFT JOIN "quiz_choices" c ON c.tenant_id = aq.tenant_id AND c.question_id = aq.question_id
                                                    AND c.id = shown.id) expected
                      ON expected.place = given.place)
           END, 0)
    FROM "quiz_attempt_questions" aq
    LEFT JOIN "quiz_answers" an
           ON an.tenant_id = aq.tenant_id AND an.attempt_id = aq.attempt_id AND an.question_id = aq.question_id
    WHERE aq.attempt_id = ANY (p_attempt_ids)
$$;
REVOKE ALL ON FUNCTION "quiz_question_credits"(UUID[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "quiz_question_credits"(UUID[]) TO "training_app";

-- ---------------------------------------------------------------- the grader

DO $$
BEGIN
    CREATE ROLE "training_quiz_grader" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- roles are cluster-wide: another database (or a concurrent migration) made it
END $$;

DO $$
BEGIN
    EXECUTE format('GRANT "training_quiz_grader" TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN
    NULL;
END $$;

GRANT USAGE ON SCHEMA public TO "training_quiz_grader";
GRANT EXECUTE ON FUNCTION "quiz_question_credits"(UUID[]) TO "training_quiz_grader";
GRANT SELECT ON "quiz_questions", "quiz_choices", "course_quizzes", "quiz_attempt_questions", "quiz_answers"
    TO "training_quiz_grader";
GRANT SELECT, INSERT ON "quiz_attempts" TO "training_quiz_grader";
GRANT UPDATE ("status", "submitted_at", "score", "passed") ON "quiz_attempts" TO "training_quiz_grader";
GRANT INSERT ON "quiz_attempt_questions" TO "training_quiz_grader";
GRANT SELECT ("tenant_id", "id", "course_id", "user_id", "status", "started_at")
    ON "training_assignments" TO "training_quiz_grader";
CREATE POLICY "quiz_questions_grader" ON "quiz_questions" FOR SELECT TO "training_quiz_grader"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "quiz_choices_grader" ON "quiz_choices" FOR SELECT TO "training_quiz_grader"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "course_quizzes_grader" ON "course_quizzes" FOR SELECT TO "training_quiz_grader"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "quiz_attempts_grader" ON "quiz_attempts" FOR ALL TO "training_quiz_grader"
    USING ("tenant_id" = "app_tenant_id"()) WITH CHECK ("tenant_id" = "app_tenant_id"());
CREATE POLICY "quiz_attempt_questions_grader" ON "quiz_attempt_questions" FOR ALL TO "training_quiz_grader"
    USING ("tenant_id" = "app_tenant_id"()) WITH CHECK ("tenant_id" = "app_tenant_id"());
CREATE POLICY "quiz_answers_grader" ON "quiz_answers" FOR SELECT TO "training_quiz_grader"
    USING ("tenant_id" = "app_tenant_id"());
CREATE POLICY "training_assignments_quiz_grader" ON "training_assignments" FOR SELECT TO "training_quiz_grader"
    USING ("tenant_id" = "app_tenant_id"());

-- Each attempt's percent score (two decimals), from the credits of its questions weighted by their points.
CREATE FUNCTION "quiz_attempt_scores"(p_attempt_ids UUID[])
RETURNS TABLE (attempt_id UUID, score DOUBLE PRECISION)
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT t.id, coalesce(round((100 * sum(c.points * c.credit) / nullif(sum(c.points), 0))::numeric, 2), 0)::float8
    FROM unnest(p_attempt_ids) AS t(id)
    LEFT JOIN "quiz_question_credits"(p_attempt_ids) c ON c.attempt_id = t.id
    GROUP BY t.id
$$;
REVOKE ALL ON FUNCTION "quiz_attempt_scores"(UUID[]) FROM PUBLIC;

-- Starts an attempt of the caller at their started assignment, drawing `question_count` questions carrying
-- any of the quiz's tags and freezing what they show. Answers the attempt, or why there is none:
-- 'not_found', 'not_started', 'no_quiz', 'no_questions', 'no_attempts_left', 'cooldown' (with the seconds to
-- wait). An attempt already in progress is answered as it is (the caller closes expired ones first).
CREATE FUNCTION "quiz_start_attempt"(p_assignment_id UUID)
RETURNS TABLE (attempt_id UUID, refusal TEXT, retry_after_seconds INTEGER)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_assignment RECORD;
    v_quiz RECORD;
    v_used INTEGER;
    v_last TIMESTAMPTZ;
    v_id UUID;
BEGIN
    SELECT t.id, t.course_id, t.status, t.started_at INTO v_assignment FROM "training_assignments" t
    WHERE t.tenant_id = "app_tenant_id"() AND t.id = p_assignment_id AND t.user_id = "app_user_id"();
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::uuid, 'not_found'::text, NULL::int; RETURN;
    END IF;
    IF v_assignment.status NOT IN ('in_progress', 'overdue') OR v_assignment.started_at IS NULL THEN
        RETURN QUERY SELECT NULL::uuid, 'not_started'::text, NULL::int; RETURN;
    END IF;
    SELECT q.tags, q.question_count, q.pass_mark, q.time_limit_minutes, q.max_attempts, q.cooldown_minutes,
           q.shuffle_choices INTO v_quiz
    FROM "course_quizzes" q WHERE q.tenant_id = "app_tenant_id"() AND q.course_id = v_assignment.course_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::uuid, 'no_quiz'::text, NULL::int; RETURN;
    END IF;
    SELECT a.id INTO v_id FROM "quiz_attempts" a
    WHERE a.tenant_id = "app_tenant_id"() AND a.assignment_id = p_assignment_id AND a.status = 'in_progress';
    IF FOUND THEN
        RETURN QUERY SELECT v_id, NULL::text, NULL::int; RETURN;
    END IF;
    SELECT count(*), max(a.submitted_at) INTO v_used, v_last FROM "quiz_attempts" a
    WHERE a.tenant_id = "app_tenant_id"() AND a.assignment_id = p_assignment_id;
    IF v_quiz.max_attempts IS NOT NULL AND v_used >= v_quiz.max_attempts THEN
        RETURN QUERY SELECT NULL::uuid, 'no_attempts_left'::text, NULL::int; RETURN;
    END IF;
    IF v_last + make_interval(mins => v_quiz.cooldown_minutes) > now() THEN
        RETURN QUERY SELECT NULL::uuid, 'cooldown'::text,
            ceil(extract(epoch FROM v_last + make_interval(mins => v_quiz.cooldown_minutes) - now()))::int;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM "quiz_questions" q WHERE q.tenant_id = "app_tenant_id"() AND q.tags && v_quiz.tags) THEN
        RETURN QUERY SELECT NULL::uuid, 'no_questions'::text, NULL::int; RETURN;
    END IF;
    INSERT INTO "quiz_attempts" ("tenant_id", "assignment_id", "course_id", "user_id", "number", "deadline", "pass_mark")
    VALUES ("app_tenant_id"(), p_assignment_id, v_assignment.course_id, "app_user_id"(), v_used + 1,
            now() + make_interval(mins => v_quiz.time_limit_minutes), v_quiz.pass_mark)
    RETURNING "id" INTO v_id;
    -- Shuffles are uniform: even leaving out the right order would tell something about it.
    INSERT INTO "quiz_attempt_questions" ("tenant_id", "attempt_id", "question_id", "position", "kind", "text",
                                          "points", "choices", "items")
    SELECT d.tenant_id, v_id, d.id, (row_number() OVER (ORDER BY random()))::int - 1, d.kind, d.text, d.points,
           CASE
               WHEN d.kind IN ('numeric', 'short_answer') THEN '[]'::jsonb
               WHEN d.kind = 'matching' THEN
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'text', m.match_text)
                                              ORDER BY random()), '[]')
                    FROM (SELECT DISTINCT c.match_text FROM "quiz_choices" c
                          WHERE c.tenant_id = d.tenant_id AND c.question_id = d.id AND c.match_text IS NOT NULL) m)
               WHEN d.kind = 'ordering' OR (d.kind IN ('single_choice', 'multiple_choice') AND v_quiz.shuffle_choices) THEN
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'text', c.text) ORDER BY random()), '[]')
                    FROM "quiz_choices" c WHERE c.tenant_id = d.tenant_id AND c.question_id = d.id)
               ELSE
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'text', c.text) ORDER BY c.position, c.id), '[]')
                    FROM "quiz_choices" c WHERE c.tenant_id = d.tenant_id AND c.question_id = d.id)
           END,
           CASE WHEN d.kind = 'matching' THEN
               (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'text', c.text) ORDER BY random()), '[]')
                FROM "quiz_choices" c WHERE c.tenant_id = d.tenant_id AND c.question_id = d.id AND c.text <> '')
           END
    FROM (SELECT q.* FROM "quiz_questions" q
          WHERE q.tenant_id = "app_tenant_id"() AND q.tags && v_quiz.tags
          ORDER BY random() LIMIT v_quiz.question_count) d;
    RETURN QUERY SELECT v_id, NULL::text, NULL::int;
END $$;

-- Closes attempts in progress and scores them with their saved answers: with p_submit, the caller's own
-- given attempts (submitting); without, the given ones (all of the tenant's when null) whose deadline has
-- passed, which the caller may read. The rows are locked first and the answers read by a later statement,
-- so an answer whose save committed while this waited for the lock is scored. An expired attempt counts as
-- submitted at its deadline.
CREATE FUNCTION "quiz_close_attempts"(p_attempt_ids UUID[], p_submit BOOLEAN)
RETURNS TABLE (attempt_id UUID, assignment_id UUID, user_id UUID, score DOUBLE PRECISION, passed BOOLEAN)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_ids UUID[];
BEGIN
    SELECT coalesce(array_agg(locked.id), '{}') INTO v_ids FROM (
        SELECT a.id FROM "quiz_attempts" a
        WHERE a.tenant_id = "app_tenant_id"() AND a.status = 'in_progress'
          AND (p_attempt_ids IS NULL OR a.id = ANY (p_attempt_ids))
          AND CASE WHEN p_submit THEN a.user_id = "app_user_id"()
                   ELSE a.deadline <= now()
                        AND (a.user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer', 'service')) END
        ORDER BY a.id FOR UPDATE) locked;
    RETURN QUERY
        UPDATE "quiz_attempts" a
        SET "status" = 'submitted', "submitted_at" = least(now(), coalesce(a.deadline, now())),
            "score" = s.score, "passed" = s.score >= a.pass_mark
        FROM "quiz_attempt_scores"(v_ids) s
        WHERE a.tenant_id = "app_tenant_id"() AND a.id = s.attempt_id AND a.status = 'in_progress'
        RETURNING a.id, a.assignment_id, a.user_id, a.score, a.passed;
END $$;

-- The score an expired attempt gets once closed, for reads that come before its closing is stored (they
-- show it closed, as reads show overdue before the sweep stores it). Only attempts the caller may read.
CREATE FUNCTION "quiz_expired_scores"(p_attempt_ids UUID[])
RETURNS TABLE (attempt_id UUID, score DOUBLE PRECISION, passed BOOLEAN)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT s.attempt_id, s.score, s.score >= a.pass_mark
    FROM "quiz_attempt_scores"(ARRAY(
             SELECT a.id FROM "quiz_attempts" a
             WHERE a.tenant_id = "app_tenant_id"() AND a.id = ANY (p_attempt_ids) AND a.status = 'in_progress'
               AND a.deadline <= now()
               AND (a.user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer', 'service')))) s
    JOIN "quiz_attempts" a ON a.id = s.attempt_id
$$;

-- Re-scores every submitted attempt of a course against the current key (admins and safety officers);
-- answers the attempts whose score or result changed, with their result before.
CREATE FUNCTION "quiz_regrade"(p_course_id UUID)
RETURNS TABLE (attempt_id UUID, assignment_id UUID, user_id UUID, score DOUBLE PRECISION, was_passed BOOLEAN,
               passed BOOLEAN)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_ids UUID[];
BEGIN
    IF "app_role"() IS DISTINCT FROM 'admin' AND "app_role"() IS DISTINCT FROM 'safety_officer' THEN
        RAISE EXCEPTION 'only admins and safety officers regrade' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT coalesce(array_agg(locked.id), '{}') INTO v_ids FROM (
        SELECT a.id FROM "quiz_attempts" a
        WHERE a.tenant_id = "app_tenant_id"() AND a.course_id = p_course_id AND a.status = 'submitted'
        ORDER BY a.id FOR UPDATE) locked;
    RETURN QUERY
        WITH before AS (
            SELECT a.id, a.passed FROM "quiz_attempts" a WHERE a.tenant_id = "app_tenant_id"() AND a.id = ANY (v_ids)
        ), changed AS (
            UPDATE "quiz_attempts" a SET "score" = s.score, "passed" = s.score >= a.pass_mark
            FROM "quiz_attempt_scores"(v_ids) s
            WHERE a.tenant_id = "app_tenant_id"() AND a.id = s.attempt_id
              AND (a.score IS DISTINCT FROM s.score OR a.passed IS DISTINCT FROM (s.score >= a.pass_mark))
            RETURNING a.id, a.assignment_id, a.user_id, a.score, a.passed
        )
        SELECT c.id, c.assignment_id, c.user_id, c.score, b.passed, c.passed FROM changed c JOIN before b ON b.id = c.id;
END $$;

-- The answers of closed attempts, for their review: per question the credit earned, the right answer
-- (shaped as an answer: choiceIds, number, text, matches, order), the accepted answers, the tolerance and the
-- feedback (the chosen choices', then the question's). Only for attempts whose review shows answers to the
-- caller: officers always; the assignee when the quiz reviews ANSWERS, or ANSWERS_AFTER_PASS and an attempt
-- of the assignment has passed. Nothing for an attempt still open.
CREATE FUNCTION "quiz_attempt_review"(p_attempt_ids UUID[])
RETURNS TABLE (attempt_id UUID, question_id UUID, credit DOUBLE PRECISION, correct JSONB, accepted_answers TEXT[],
               tolerance DOUBLE PRECISION, feedback TEXT[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH closed AS (
        SELECT a.id, a.tenant_id, a.assignment_id, a.status, a.pass_mark, a.passed, a.user_id, qz.review
        FROM "quiz_attempts" a
        JOIN "course_quizzes" qz ON qz.tenant_id = a.tenant_id AND qz.course_id = a.course_id
        WHERE a.tenant_id = "app_tenant_id"() AND a.id = ANY (p_attempt_ids)
          AND (a.status = 'submitted' OR a.deadline <= now())
          AND (a.user_id = "app_user_id"() OR "app_role"() IN ('admin', 'safety_officer'))
    ), scores AS (
        SELECT * FROM "quiz_attempt_scores"(ARRAY(SELECT id FROM closed WHERE status = 'in_progress'))
    ), shown AS (
        SELECT c.id FROM closed c LEFT JOIN scores s ON s.attempt_id = c.id
        WHERE "app_role"() IN ('admin', 'safety_officer') OR c.review = 'answers'
           OR (c.review = 'answers_after_pass'
               AND (coalesce(c.passed, s.score >= c.pass_mark)
                    OR EXISTS (SELECT 1 FROM "quiz_attempts" o
                               WHERE o.tenant_id = c.tenant_id AND o.assignment_id = c.assignment_id AND o.passed)))
    )
    SELECT aq.attempt_id, aq.question_id, cr.credit,
           CASE
               WHEN aq.kind IN ('single_choice', 'true_false') THEN jsonb_build_object('choiceIds',
                   (SELECT coalesce(jsonb_agg(ch.id ORDER BY ch.position), '[]') FROM "quiz_choices" ch
                    WHERE ch.tenant_id = aq.tenant_id AND ch.question_id = aq.question_id AND ch.credit > 0
                      AND ch.credit = (SELECT max(m.credit) FROM "quiz_choices" m
                                       WHERE m.tenant_id = aq.tenant_id AND m.question_id = aq.question_id)))
               WHEN aq.kind = 'multiple_choice' THEN jsonb_build_object('choiceIds',
                   (SELECT coalesce(jsonb_agg(ch.id ORDER BY ch.position), '[]') FROM "quiz_choices" ch
                    WHERE ch.tenant_id = aq.tenant_id AND ch.question_id = aq.question_id AND ch.credit > 0))
               WHEN aq.kind = 'numeric' THEN jsonb_build_object('number', q.numeric_answer)
               WHEN aq.kind = 'short_answer' THEN jsonb_build_object('text', q.accepted_answers[1])
               WHEN aq.kind = 'matching' THEN jsonb_build_object('matches',
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('itemId', item.value ->> 'id', 'choiceId', opt.value ->> 'id')
                                              ORDER BY item.place), '[]')
                    FROM jsonb_array_elements(aq.items) WITH ORDINALITY AS item(value, place)
                    JOIN "quiz_choices" ch ON ch.tenant_id = aq.tenant_id AND ch.id::text = item.value ->> 'id'
                    JOIN jsonb_array_elements(aq.choices) AS opt(value) ON opt.value ->> 'text' = ch.match_text))
               WHEN aq.kind = 'ordering' THEN jsonb_build_object('order',
                   (SELECT coalesce(jsonb_agg(opt.value ->> 'id' ORDER BY ch.position NULLS LAST, opt.place), '[]')
                    FROM jsonb_array_elements(aq.choices) WITH ORDINALITY AS opt(value, place)
                    LEFT JOIN "quiz_choices" ch ON ch.tenant_id = aq.tenant_id AND ch.id::text = opt.value ->> 'id'))
           END,
           CASE WHEN aq.kind = 'short_answer' THEN q.accepted_answers ELSE '{}' END,
           CASE WHEN aq.kind = 'numeric' THEN coalesce(q.tolerance, 0) END,
           ARRAY(SELECT f.text FROM (
                     SELECT ch.feedback AS text, array_position(an.choice_ids, ch.id) AS place FROM "quiz_choices" ch
                     WHERE ch.tenant_id = aq.tenant_id AND ch.question_id = aq.question_id
                       AND ch.id = ANY (an.choice_ids) AND ch.feedback IS NOT NULL
                     UNION ALL SELECT q.general_feedback, 2147483647 WHERE q.general_feedback IS NOT NULL) f
                 ORDER BY f.place)
    FROM "quiz_attempt_questions" aq
    JOIN shown ON shown.id = aq.attempt_id
    JOIN "quiz_questions" q ON q.tenant_id = aq.tenant_id AND q.id = aq.question_id
    JOIN "quiz_question_credits"(ARRAY(SELECT id FROM shown)) cr
      ON cr.attempt_id = aq.attempt_id AND cr.question_id = aq.question_id
    LEFT JOIN "quiz_answers" an
           ON an.tenant_id = aq.tenant_id AND an.attempt_id = aq.attempt_id AND an.question_id = aq.question_id
    ORDER BY aq.attempt_id, aq.position
$$;

REVOKE ALL ON FUNCTION "quiz_start_attempt"(UUID) FROM PUBLIC;
REVOKE ALL ON FUNCTION "quiz_close_attempts"(UUID[], BOOLEAN) FROM PUBLIC;
REVOKE ALL ON FUNCTION "quiz_expired_scores"(UUID[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION "quiz_regrade"(UUID) FROM PUBLIC;
REVOKE ALL ON FUNCTION "quiz_attempt_review"(UUID[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "quiz_start_attempt"(UUID), "quiz_close_attempts"(UUID[], BOOLEAN),
    "quiz_expired_scores"(UUID[]), "quiz_regrade"(UUID), "quiz_attempt_review"(UUID[]) TO "training_app";
-- A new owner needs CREATE on the schema at the moment it receives the functions; it keeps none afterwards.
GRANT CREATE ON SCHEMA public TO "training_quiz_grader";
ALTER FUNCTION "quiz_attempt_scores"(UUID[]) OWNER TO "training_quiz_grader";
ALTER FUNCTION "quiz_start_attempt"(UUID) OWNER TO "training_quiz_grader";
ALTER FUNCTION "quiz_close_attempts"(UUID[], BOOLEAN) OWNER TO "training_quiz_grader";
ALTER FUNCTION "quiz_expired_scores"(UUID[]) OWNER TO "training_quiz_grader";
ALTER FUNCTION "quiz_regrade"(UUID) OWNER TO "training_quiz_grader";
ALTER FUNCTION "quiz_attempt_review"(UUID[]) OWNER TO "training_quiz_grader";
REVOKE CREATE ON SCHEMA public FROM "training_quiz_grader";

-- ---------------------------------------------------------------- quiz evidence

-- A passed quiz is recorded as evidence by the transaction that closes the attempt: the assignee submitting,
-- the deadline job (as the tenant's service role), or a regrade (an officer). Only with a submitted, passed
-- attempt of that assignment and user, with the same score, behind it, and as the system (no recorder).
CREATE POLICY "training_evidence_insert_quiz" ON "training_evidence" FOR INSERT TO "training_app"
    WITH CHECK ("tenant_id" = "app_tenant_id"() AND "kind" = 'quiz' AND "passed" AND "recorded_by" IS NULL
                AND EXISTS (SELECT 1 FROM "quiz_attempts" a
                            WHERE a.tenant_id = "training_evidence".tenant_id
                              AND a.assignment_id = "training_evidence".assignment_id
                              AND a.user_id = "training_evidence".user_id
                              AND a.status = 'submitted' AND a.passed
                              AND a.score = "training_evidence".score::float8));

-- ---------------------------------------------------------------- the deadline job's tenants

-- The quiz_deadlines job runs every minute: it visits only the tenants with an attempt in progress past its
-- deadline. "training_scheduler" may see that much of quiz_attempts and nothing else.
GRANT SELECT ("tenant_id", "status", "deadline") ON "quiz_attempts" TO "training_scheduler";
CREATE POLICY "quiz_attempts_scheduler" ON "quiz_attempts" FOR SELECT TO "training_scheduler"
    USING ("status" = 'in_progress' AND "deadline" <= now());

CREATE OR REPLACE FUNCTION "scheduled_job_tenants"(p_job TEXT) RETURNS SETOF UUID
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT DISTINCT c.tenant_id FROM "training_courses" c
    WHERE p_job = 'auto_assign' AND c.auto_assign_enabled AND c.risk_threshold IS NOT NULL
    UNION
    SELECT DISTINCT a.tenant_id FROM "training_assignments" a
    WHERE p_job = 'overdue_sweep' AND a.status IN ('assigned', 'in_progress') AND a.due_date < "training_today"()
    UNION
    SELECT DISTINCT a.tenant_id FROM "training_assignments" a
    WHERE p_job = 'reminders' AND a.status IN ('assigned', 'in_progress', 'overdue') AND a.due_date IS NOT NULL
    UNION
    SELECT DISTINCT t.tenant_id FROM "training_completions" t
    WHERE p_job = 'recertification' AND t.passed AND t.expires_at >= "training_today"()
    UNION
    SELECT DISTINCT c.tenant_id FROM "training_courses" c
    WHERE p_job = 'risk_escalation' AND c.escalate_after_days IS NOT NULL AND c.risk_threshold IS NOT NULL
    UNION
    SELECT DISTINCT c.tenant_id FROM "training_courses" c
    WHERE p_job = 'qualification_expiry' AND c.required
    UNION
    SELECT DISTINCT q.tenant_id FROM "quiz_attempts" q
    WHERE p_job = 'quiz_deadlines' AND q.status = 'in_progress' AND q.deadline <= now()
    UNION
    SELECT DISTINCT p.tenant_id FROM "profiles" p
    WHERE p_job NOT IN ('auto_assign', 'overdue_sweep', 'reminders', 'recertification', 'risk_escalation',
                        'qualification_expiry', 'quiz_deadlines')
$$;
