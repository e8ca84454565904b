-- A shift's id is the scheduling system's, and unique within its tenant only. With a global key, a
-- tenant re-sending an id that another tenant had used collided with a row it cannot see, and the
-- refusal told it that the id exists elsewhere. Keyed by (tenant_id, id), each tenant has its own ids.
ALTER TABLE "shift_assignments" DROP CONSTRAINT "shift_assignments_pkey";
ALTER TABLE "shift_assignments" ADD CONSTRAINT "shift_assignments_pkey" PRIMARY KEY ("tenant_id", "id");
