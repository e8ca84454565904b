-- Every reference from one tenant table to another names the tenant (tests/db/rls.test.ts,
-- "every foreign key between tenant tables includes tenant_id"). Five did not: they pointed at
-- a bare id, and a foreign key is checked by the owner, past RLS. So a caller of tenant A whose
-- write policy does not look at the reference (a resolver bug is enough) could
--   * point a row at tenant B's row and learn from the answer (foreign-key violation or not)
--     whether that id exists in B;
--   * hand B's data to the deliverer: notification_emails_claim() joins a notification's
--     assignment_id/completion_id by id alone, so A's user would be mailed the due date or
--     expiry date of B's assignment or completion;
--   * let B's own deletes reach into A (ON DELETE CASCADE / SET NULL), or block B's
--     recertification of its completion (training_assignments_one_per_recertified_completion
--     is unique across tenants).
-- References that named only the id:
--   notifications.assignment_id  -> training_assignments (insert policy: tenant and role only)
--   notifications.completion_id  -> training_completions (insert policy: tenant and role only)
--   risk_escalations.completion_id -> training_completions (insert policy: tenant and role only)
--   training_assignments.recertification_of -> training_completions (insert policy: tenant and role only)
--   training_assignments.trigger_score_id   -> predictive_scores (insert/update policies: tenant and role only)
-- Each becomes (tenant_id, x) -> (tenant_id, id), as the rest of the schema has done since
-- 20261125000000_init. (certificates.completion_id keeps its bare key: its insert policy ties
-- it to a completion of the same tenant, and certificates_guard_update forbids changing it.)

-- The referenced keys.
ALTER TABLE "training_completions" ADD CONSTRAINT "training_completions_tenant_id_id_key" UNIQUE ("tenant_id", "id");
ALTER TABLE "predictive_scores" ADD CONSTRAINT "predictive_scores_tenant_id_id_key" UNIQUE ("tenant_id", "id");

-- Rows already pointing into another tenant can only come from such a bug: their reference is
-- dropped (set to null), or, for an escalation (which cannot exist without its completion), the
-- row itself. RLS is forced even for the table owner (a migrating user that is not a superuser
-- would see no rows): lifted for this transaction, as the analytics counters' backfill does.
ALTER TABLE "training_assignments" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completions" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "predictive_scores" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "notifications" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "risk_escalations" NO FORCE ROW LEVEL SECURITY;
UPDATE "notifications" n SET "assignment_id" = NULL
WHERE n.assignment_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM "training_assignments" a WHERE a.tenant_id = n.tenant_id AND a.id = n.assignment_id);
UPDATE "notifications" n SET "completion_id" = NULL
WHERE n.completion_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM "training_completions" t WHERE t.tenant_id = n.tenant_id AND t.id = n.completion_id);
DELETE FROM "risk_escalations" e
WHERE NOT EXISTS (SELECT 1 FROM "training_completions" t WHERE t.tenant_id = e.tenant_id AND t.id = e.completion_id);
UPDATE "training_assignments" a SET "recertification_of" = NULL
WHERE a.recertification_of IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM "training_completions" t WHERE t.tenant_id = a.tenant_id AND t.id = a.recertification_of);
UPDATE "training_assignments" a SET "trigger_score_id" = NULL
WHERE a.trigger_score_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM "predictive_scores" s WHERE s.tenant_id = a.tenant_id AND s.id = a.trigger_score_id);
ALTER TABLE "training_assignments" FORCE ROW LEVEL SECURITY;
ALTER TABLE "training_completions" FORCE ROW LEVEL SECURITY;
ALTER TABLE "predictive_scores" FORCE ROW LEVEL SECURITY;
ALTER TABLE "notifications" FORCE ROW LEVEL SECURITY;
ALTER TABLE "risk_escalations" FORCE ROW LEVEL SECURITY;

-- Same names, same actions; the key now includes the tenant. A nullable reference is checked
-- only when set (MATCH SIMPLE). SET NULL names its column: tenant_id stays.
ALTER TABLE "notifications"
    DROP CONSTRAINT "notifications_assignment_id_fkey",
    ADD CONSTRAINT "notifications_assignment_id_fkey" FOREIGN KEY ("tenant_id", "assignment_id")
        REFERENCES "training_assignments" ("tenant_id", "id") ON DELETE CASCADE,
    DROP CONSTRAINT "notifications_completion_id_fkey",
    ADD CONSTRAINT "notifications_completion_id_fkey" FOREIGN KEY ("tenant_id", "completion_id")
        REFERENCES "training_completions" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "risk_escalations"
    DROP CONSTRAINT "risk_escalations_completion_fkey",
    ADD CONSTRAINT "risk_escalations_completion_fkey" FOREIGN KEY ("tenant_id", "completion_id")
        REFERENCES "training_completions" ("tenant_id", "id") ON DELETE CASCADE;
ALTER TABLE "training_assignments"
    DROP CONSTRAINT "training_assignments_recertification_of_fkey",
    ADD CONSTRAINT "training_assignments_recertification_of_fkey" FOREIGN KEY ("tenant_id", "recertification_of")
        REFERENCES "training_completions" ("tenant_id", "id") ON DELETE SET NULL ("recertification_of"),
    DROP CONSTRAINT "training_assignments_trigger_score_id_fkey",
    ADD CONSTRAINT "training_assignments_trigger_score_id_fkey" FOREIGN KEY ("tenant_id", "trigger_score_id")
        REFERENCES "predictive_scores" ("tenant_id", "id") ON DELETE SET NULL ("trigger_score_id") ON UPDATE CASCADE;
