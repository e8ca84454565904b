-- A question's credit names the caller's tenant by a variable in its statement and every subquery: the attempts
-- were named by id alone, so a distributed database (Citus) read every shard, and Citus 13.2.2 crashed (signal 11)
-- planning the ordering question's subquery across shards. The functions that call it answer only for the caller's
-- tenant's attempts already, so nothing changes on one PostgreSQL. Planned per call, as the other functions that
-- name the tenant by a variable (migration 20261215100400_custom_plans_for_tenant_variables).
CREATE OR REPLACE FUNCTION "quiz_question_credits"(p_attempt_ids uuid[])
 RETURNS TABLE(attempt_id uuid, question_id uuid, points double precision, answered boolean, credit double precision)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'public', 'pg_temp'
 SET plan_cache_mode = force_custom_plan
AS $function$
#variable_conflict use_column
DECLARE
    v_tenant UUID := "app_tenant_id"();
BEGIN
    RETURN QUERY
        SELECT aq.attempt_id, aq.question_id, aq.points, an.id IS NOT NULL,
               coalesce(CASE
                   WHEN aq.kind IN ('single_choice', 'true_false') THEN
                       (SELECT greatest(least(c.credit, 100), 0) / 100 FROM "quiz_choices" c
                        WHERE c.tenant_id = v_tenant AND c.question_id = aq.question_id
                          AND cardinality(an.choice_ids) = 1 AND c.id = an.choice_ids[1])
                   WHEN aq.kind = 'multiple_choice' THEN
                       (SELECT greatest(least(coalesce(sum(c.credit), 0), 100), 0) / 100 FROM "quiz_choices" c
                        WHERE c.tenant_id = v_tenant AND c.question_id = aq.question_id AND c.id = ANY (an.choice_ids))
                   WHEN aq.kind = 'numeric' THEN
                       (SELECT CASE WHEN abs(an.number - q.numeric_answer) <= coalesce(q.tolerance, 0) THEN 1 ELSE 0 END
                        FROM "quiz_questions" q WHERE q.tenant_id = v_tenant AND q.id = aq.question_id)
                   WHEN aq.kind = 'short_answer' THEN
                       (SELECT CASE WHEN EXISTS (SELECT 1 FROM unnest(q.accepted_answers) AS accepted(text)
                                                 WHERE "quiz_normalized_text"(accepted.text) = "quiz_normalized_text"(an.text))
                                    THEN 1 ELSE 0 END
                        FROM "quiz_questions" q WHERE q.tenant_id = v_tenant AND q.id = aq.question_id)
                   WHEN aq.kind = 'matching' THEN
                       (SELECT count(*) FILTER (WHERE shown.option ->> 'text' = c.match_text)::float8
                               / nullif(jsonb_array_length(aq.items), 0)
                        FROM jsonb_array_elements(an.matches) AS given(match)
                        JOIN "quiz_choices" c ON c.tenant_id = v_tenant AND c.question_id = aq.question_id
                                             AND c.id::text = given.match ->> 'itemId'
                        JOIN jsonb_array_elements(aq.choices) AS shown(option)
                          ON shown.option ->> 'id' = given.match ->> 'choiceId')
                   WHEN aq.kind = 'ordering' THEN
                       (SELECT count(*) FILTER (WHERE given.id = expected.id)::float8 / nullif(jsonb_array_length(aq.choices), 0)
                        FROM unnest(an.ordering) WITH ORDINALITY AS given(id, place)
                        JOIN (SELECT shown.id, row_number() OVER (ORDER BY c.position NULLS LAST, shown.place) AS place
                              FROM (SELECT (option ->> 'id')::uuid AS id, place
                                    FROM jsonb_array_elements(aq.choices) WITH ORDINALITY AS o(option, place)) shown
                              LEFT JOIN "quiz_choices" c ON c.tenant_id = v_tenant AND c.question_id = aq.question_id
                                                        AND c.id = shown.id) expected
                          ON expected.place = given.place)
               END, 0)
        FROM "quiz_attempt_questions" aq
        LEFT JOIN "quiz_answers" an
               ON an.tenant_id = v_tenant AND an.attempt_id = aq.attempt_id AND an.question_id = aq.question_id
        WHERE aq.tenant_id = v_tenant AND aq.attempt_id = ANY (p_attempt_ids);
END
$function$;
