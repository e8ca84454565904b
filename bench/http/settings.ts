import type { LoadResult } from '../../tests/support/load.js';
import { TRACE_SAMPLE_RATIO } from './telemetry.js';

/** The HTTP benchmark's knobs, targets and queries, shared by the run (index.ts) and its report. */

export const ROUNDS = Number(process.env.HTTP_ROUNDS ?? 3);
export const SECONDS = Number(process.env.HTTP_SECONDS ?? 10);
export const WARMUP_SECONDS = Number(process.env.HTTP_WARMUP_SECONDS ?? 5);
export const CONNECTIONS = Number(process.env.HTTP_CONNECTIONS ?? 16);
export const POOL_MAX = 10;
export const PROBE_REQUESTS = 100;
export const STATS_FLUSH_MS = 11_000;

export const TENANTS = [
  '6f1c2a7e-0b1d-4c8e-9a51-1d2e3f4a5b60',
  '7a2d3b8f-1c2e-4d9f-8b62-2e3f4a5b6c71',
  '8b3e4c9a-2d3f-4eaa-9c73-3f4a5b6c7d82',
] as const;
export const OFFICER = {
  id: '1a9e7c55-3b1f-4c2d-8e4f-5a6b7c8d9e01',
  name: 'Sam Officer',
  email: 'sam@tenant0.example',
};
export const WORKER = { id: '2b8f6d44-4c2e-4d3e-9f5a-6b7c8d9e0f12', name: 'Wei Chen', email: 'wei@tenant0.example' };

export type TargetName = 'ours' | 'telemetry' | 'control' | 'postgraphile' | 'floor';
export type QueryName = 'courses' | 'assignments';
export const ALL_TARGETS: TargetName[] = ['ours', 'telemetry', 'control', 'postgraphile', 'floor'];
/** Our API's instances: the same server, telemetry off (ours, control) or on. */
export const OUR_INSTANCES: readonly TargetName[] = ['ours', 'telemetry', 'control'];
// HTTP_TARGETS=ours (comma-separated) measures a subset, for profiling (HTTP_OURS_NODE_ARGS=--cpu-prof); such a run
// prints its figures and writes nothing: the published ones always come from all four.
export const TARGETS: TargetName[] = process.env.HTTP_TARGETS
  ? ALL_TARGETS.filter((target) => process.env.HTTP_TARGETS!.split(',').includes(target))
  : ALL_TARGETS;
export const OURS_NODE_ARGS = (process.env.HTTP_OURS_NODE_ARGS ?? '').split(' ').filter(Boolean);
export const ALL_QUERIES: QueryName[] = ['courses', 'assignments'];
// A lever's trial: HTTP_QUERIES=courses measures a subset of the queries, HTTP_CONTROL_ENV='PLAIN_PAGES=off' (space-separated
// NAME=value) runs the control with a lever off, so before and after run side by side. Such a run writes nothing either.
export const QUERIES: QueryName[] = process.env.HTTP_QUERIES
  ? ALL_QUERIES.filter((query) => process.env.HTTP_QUERIES!.split(',').includes(query))
  : ALL_QUERIES;
export const CONTROL_ENV: Record<string, string> = Object.fromEntries(
  (process.env.HTTP_CONTROL_ENV ?? '')
    .split(' ')
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
export const TARGET_LABEL: Record<TargetName, string> = {
  ours: 'our API (Pothos + Apollo + Prisma)',
  telemetry: `our API, metrics on + traces at ${TRACE_SAMPLE_RATIO * 100} %`,
  control: 'our API again, telemetry off (the control)',
  postgraphile: 'PostGraphile v4',
  floor: 'bare pg handler (floor)',
};
export const QUERY_LABEL: Record<QueryName, string> = {
  courses: '`trainingCourses(first: 50)` + totalCount, as a safety officer',
  assignments: '`userTrainingAssignments(first: 50)` with course and latest completion, as the worker',
};

export interface Measured extends LoadResult {
  serverCpuMsPerRequest: number;
  /** 1-minute load average right after the run. */
  loadAverage: number;
}

export interface PostGraphileNames {
  courses: string;
  assignments: string;
  assignmentCourse: string;
  assignmentCompletions: string;
  effectiveStatus: string;
}

/** Target × query: what autocannon sends, and how to read the ids back for the cross-check. */
export interface TargetRequest {
  url: string;
  body: string;
  token: string;
  /** [id, status?] of each node in order, from a response body. */
  ids(body: unknown): string[];
}
