-- Trend-triggered training: a course with lead_days is also assigned when the least-squares line over an entity's
-- recent scores reaches its threshold within that many days (src/risk/auto-assign-sql.ts). Null: off.
ALTER TABLE "training_courses" ADD COLUMN "lead_days" INTEGER;
ALTER TABLE "training_courses" ADD CONSTRAINT "training_courses_lead_days_check" CHECK ("lead_days" BETWEEN 1 AND 365);
