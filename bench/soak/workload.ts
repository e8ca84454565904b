import type pg from 'pg';
import { withCaller } from '../../tests/support/database.js';
import { type LoadOptions } from '../../tests/support/load.js';

/** What the soak sends: its length and sizes, its tenant, the queries and mutations, and how it sends them. */

export const SECONDS = Number(process.env.SOAK_SECONDS || 600);
export const WARMUP_SECONDS = Math.min(60, Math.round(SECONDS / 5));
export const SAMPLE_MS = 10_000;

export const TENANT = 'be6b7f2d-5a6c-4b8d-8fa0-6c7d8e9fa0b5';
export const OFFICER = 'cf7c803e-6b7d-4c9e-9ab1-7d8e9fa0b1c6';
export const COURSES_FOR_WRITES = 20;
export const WORKERS_FOR_WRITES = 200;
export const WORKERS_FOR_READS = 50;

export interface Sample {
  t: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** VmRSS of the child read from /proc by this process at the same moment (bytes). */
  vmRss: number;
}

export interface Worker {
  id: string;
  token: string;
}

export const COURSES_QUERY = '{ trainingCourses(first: 50) { totalCount nodes { id title category riskThreshold } } }';
export const ASSIGNMENTS_QUERY = `query($userId: ID!) { userTrainingAssignments(userId: $userId, first: 50) {
  nodes { id status dueDate course { id title category } completion { score passed completedAt expiresAt } } } }`;
export const ANALYTICS_QUERY = `{ trainingAnalytics { totalCourses totalAssignments completedCount inProgressCount overdueCount
  completionRate avgCompletionTime byStatus { status count } byCategory { category assignments completionRate } } }`;
export const CREATE_COURSE = `mutation($input: CreateTrainingCourseInput!) { createTrainingCourse(input: $input) { id title } }`;
export const ASSIGN = `mutation($input: AssignTrainingCourseInput!) { assignTrainingCourse(input: $input) { id status } }`;
export const START = `mutation($id: ID!) { startTrainingAssignment(assignmentId: $id) { id status startedAt } }`;
export const COMPLETE = `mutation($input: CompleteTrainingAssignmentInput!) {
  completeTrainingAssignment(input: $input) { id status completion { score passed expiresAt certificateUrl } } }`;

export const noErrors = (body: string) => body.startsWith('{"data":') && !body.includes('"errors"');
export const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)]!;

/** The assigned worker's next step in the write loop; skipped when the assignment was not made. */
export function asWorker(body: (assignmentId: unknown) => { query: string; variables: Record<string, unknown> }) {
  const request: NonNullable<LoadOptions['requests']>[number] = {
    method: 'POST',
    path: '/graphql',
    setupRequest: (request, context) =>
      context.assignmentId
        ? {
            ...request,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${(context.worker as Worker).token}`,
            },
            body: JSON.stringify(body(context.assignmentId)),
          }
        : null,
  };
  return request;
}

/** Reads as the tenant's safety officer under RLS, rolled back. */
export const asOfficer = <T>(client: pg.Client, fn: () => Promise<T>) =>
  withCaller(client, { tenantId: TENANT, userId: OFFICER, role: 'safety_officer' }, fn);

export function courseInput(title: string) {
  return {
    title,
    category: 'EQUIPMENT_SAFETY',
    durationMinutes: 30,
    expiryMonths: 12,
    issuesCertificate: true,
    riskThreshold: 70,
    entityType: 'WORKER',
    autoAssignEnabled: false,
  };
}

export async function graphql(url: string, token: string, query: string, variables: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`soak setup: ${JSON.stringify(body).slice(0, 500)}`);
  return body.data;
}
