import type { CallerTransaction } from '../core/caller/index.js';

/**
 * The day-driven notifications, each ONE set-based INSERT … SELECT for a tenant,
 * run by the scheduler (jobs `reminders` and `overdue_sweep`) in the transaction
 * that claims the run. The outbox's unique (recipient, kind, subject) makes a
 * repeated run write nothing: the subject is the assignment and its due date, so
 * a new due date earns a new reminder.
 */

/** An assignment that went overdue longer ago than this gets no OVERDUE notification (no flood on upgrade). */
export const OVERDUE_NOTIFY_WITHIN_DAYS = 7;

/** DUE_SOON for active assignments due from today to `dueSoonDays` from now (UTC days). */
export async function writeDueSoon(tx: CallerTransaction, tenantId: string, dueSoonDays: number): Promise<number> {
  return tx.$executeRaw`
    INSERT INTO notifications (tenant_id, user_id, kind, assignment_id, subject)
    SELECT a.tenant_id, a.user_id, 'due_soon', a.id, a.id::text || '@' || a.due_date::text
    FROM training_assignments a
    WHERE a.tenant_id = ${tenantId}::uuid AND a.status IN ('assigned', 'in_progress')
      AND a.due_date BETWEEN training_today() AND training_today() + ${dueSoonDays}::int
    ON CONFLICT (tenant_id, user_id, kind, subject) DO NOTHING`;
}

/**
 * OVERDUE for active assignments whose due date has passed (stored overdue or
 * not yet swept: the same rule as training_effective_status), within the last
 * OVERDUE_NOTIFY_WITHIN_DAYS days.
 */
export async function writeOverdue(tx: CallerTransaction, tenantId: string): Promise<number> {
  return tx.$executeRaw`
    INSERT INTO notifications (tenant_id, user_id, kind, assignment_id, subject)
    SELECT a.tenant_id, a.user_id, 'overdue', a.id, a.id::text || '@' || a.due_date::text
    FROM training_assignments a
    WHERE a.tenant_id = ${tenantId}::uuid AND a.status IN ('assigned', 'in_progress', 'overdue')
      AND a.due_date < training_today()
      AND a.due_date >= training_today() - ${OVERDUE_NOTIFY_WITHIN_DAYS}::int
    ON CONFLICT (tenant_id, user_id, kind, subject) DO NOTHING`;
}
