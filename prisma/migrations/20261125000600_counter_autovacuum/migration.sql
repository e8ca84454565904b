-- The analytics counters are a few thousand rows per tenant that every assignment write updates, so
-- they gather dead row versions fast; read with bloat and without statistics, a tenant's figures take
-- several times longer (BENCHMARKS.md, "as loaded"). Vacuum and analyze them after a fixed number of
-- changed rows rather than the default fraction of the table.
ALTER TABLE "training_assignment_counts" SET (
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000
);
ALTER TABLE "training_assignment_due_counts" SET (
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000
);
ALTER TABLE "training_completion_counts" SET (
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000
);
