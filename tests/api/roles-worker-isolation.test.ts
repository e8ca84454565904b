import { describe, expect, it } from 'vitest';
import {
  CompleteTrainingAssignmentDocument,
  StartTrainingAssignmentDocument,
  TrainingAssignmentsDocument,
  TrainingCompletionsDocument,
  UserTrainingAssignmentsDocument,
} from '../../src/generated/operations/graphql.js';
import { errorCode, type Actor, type GraphQLResponse } from '../support/server.js';
import {
  actors,
  otherWorker,
  otherWorkersAssignmentId,
  useRolesServer,
  newAssignment,
  startAs,
  trainingTables,
  assignmentRow,
} from './roles-fixtures.js';

/** A worker and another user's training: refused, and hidden from the tenant-wide lists. */

useRolesServer();

describe("a worker and another user's training", () => {
  it.each<[string, (worker: Actor) => Promise<GraphQLResponse<unknown>>]>([
    [
      'userTrainingAssignments(userId: other)',
      (worker) => worker.request(UserTrainingAssignmentsDocument, { userId: otherWorker.userId }),
    ],
    [
      'trainingAssignments(filter: { userId: other })',
      (worker) => worker.request(TrainingAssignmentsDocument, { filter: { userId: otherWorker.userId } }),
    ],
    [
      'trainingCompletions(filter: { userId: other })',
      (worker) => worker.request(TrainingCompletionsDocument, { filter: { userId: otherWorker.userId } }),
    ],
  ])('%s is FORBIDDEN', async (_operation, send) => {
    const response = await send(actors.worker);

    expect(errorCode(response)).toBe('FORBIDDEN');
    expect(JSON.stringify(response)).not.toContain(otherWorkersAssignmentId);
  });

  it("starting another worker's assignment is refused as NOT_FOUND (RLS hides it) and changes nothing", async () => {
    const before = await assignmentRow(otherWorkersAssignmentId);

    const response = await actors.worker.request(StartTrainingAssignmentDocument, {
      assignmentId: otherWorkersAssignmentId,
    });

    expect(errorCode(response)).toBe('NOT_FOUND');
    expect(await assignmentRow(otherWorkersAssignmentId)).toEqual(before);
    expect(before?.status).toBe('assigned');
  });

  it("completing another worker's started assignment is refused as NOT_FOUND and records nothing", async () => {
    const assignmentId = await newAssignment(otherWorker);
    await startAs(otherWorker, assignmentId);
    const before = await trainingTables();

    const response = await actors.worker.request(CompleteTrainingAssignmentDocument, {
      input: { assignmentId, score: 100, passed: true, completionTimeMinutes: 5 },
    });

    expect(errorCode(response)).toBe('NOT_FOUND');
    expect(await trainingTables()).toEqual(before);
    expect((await assignmentRow(assignmentId))?.status).toBe('in_progress');
  });

  it('sees only their own rows in the tenant-wide lists', async () => {
    const assignments = await actors.worker.request(TrainingAssignmentsDocument, {});
    const completions = await actors.worker.request(TrainingCompletionsDocument, {});

    expect(assignments.data?.trainingAssignments.nodes.length).toBeGreaterThan(0);
    expect(assignments.data?.trainingAssignments.nodes.every((a) => a.user.id === actors.worker.userId)).toBe(true);
    expect(assignments.data?.trainingAssignments.totalCount).toBe(assignments.data?.trainingAssignments.nodes.length);
    expect(completions.data?.trainingCompletions.nodes.every((c) => c.user.id === actors.worker.userId)).toBe(true);
  });
});
