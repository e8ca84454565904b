-- The e-mail outbox's size for the operators' metrics: how many mails wait to be sent and how many failed for
-- good, across tenants. Counts only, so a SECURITY DEFINER function answers it for the application role.
CREATE INDEX "notifications_email_failed_idx" ON "notifications" ("tenant_id") WHERE "email_status" = 'failed';

CREATE FUNCTION "notification_outbox_counts"(OUT "backlog" BIGINT, OUT "failed" BIGINT)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT count(*) FILTER (WHERE "email_status" IN ('pending', 'sending')),
           count(*) FILTER (WHERE "email_status" = 'failed')
      FROM "notifications" WHERE "email_status" IN ('pending', 'sending', 'failed')
$$;
REVOKE ALL ON FUNCTION "notification_outbox_counts"() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "notification_outbox_counts"() TO "training_app";
