import { describe, expect, it } from 'vitest';
import { MeDocument, TrainingAnalyticsDocument } from '../../src/generated/operations/graphql.js';
import { errorCode, ok } from '../support/server.js';
import {
  server,
  admin,
  service,
  workers,
  assignment,
  otherAdmin,
  analytics,
  byTitle,
  statusCounts,
  useAnalyticsData,
} from './analytics-fixtures.js';

/**
 * trainingAnalytics for a worker (their own progress only), who may ask, and that another tenant's rows never
 * count (data set: analytics-fixtures.ts).
 */

useAnalyticsData();

describe('trainingAnalytics for a worker: their own progress only', () => {
  it('W1: #1 completed (30 min), #4 failed attempt (assigned), #6 in progress', async () => {
    const figures = await analytics(workers[0]!);
    expect(figures).toMatchObject({
      totalCourses: 3, // the tenant's catalogue, which every worker may read
      totalAssignments: 3,
      completedCount: 1,
      inProgressCount: 1,
      overdueCount: 0,
      completionRate: 33.33,
      avgCompletionTime: 30,
      byStatus: statusCounts({ ASSIGNED: 1, IN_PROGRESS: 1, COMPLETED: 1 }),
      overdueAssignments: [],
    });
    expect(figures.byCategory).toEqual(
      expect.arrayContaining([
        {
          category: 'SAFETY_FUNDAMENTALS',
          assignments: 2,
          completed: 1,
          inProgress: 0,
          overdue: 0,
          completionRate: 50,
          averageScore: 80,
        },
        {
          category: 'EQUIPMENT_SAFETY',
          assignments: 1,
          completed: 0,
          inProgress: 1,
          overdue: 0,
          completionRate: 0,
          averageScore: null,
        },
      ]),
    );
    expect(byTitle(figures)).toEqual({
      'Ladder Safety': {
        assignments: 1,
        completed: 1,
        inProgress: 0,
        overdue: 0,
        completionRate: 100,
        averageScore: 80,
      },
      'Lockout Tagout': {
        assignments: 1,
        completed: 0,
        inProgress: 0,
        overdue: 0,
        completionRate: 0,
        averageScore: null,
      },
      'Forklift Operation': {
        assignments: 1,
        completed: 0,
        inProgress: 1,
        overdue: 0,
        completionRate: 0,
        averageScore: null,
      },
    });
  });

  it('W2: #2 and #3 completed (45, 60 min), #5 in progress', async () => {
    expect(await analytics(workers[1]!)).toMatchObject({
      totalAssignments: 3,
      completedCount: 2,
      inProgressCount: 1,
      overdueCount: 0,
      completionRate: 66.67,
      avgCompletionTime: 52.5,
      byStatus: statusCounts({ IN_PROGRESS: 1, COMPLETED: 2 }),
    });
  });

  it('W3: #7 overdue and #8 cancelled; the overdue list is their own', async () => {
    const figures = await analytics(workers[2]!);
    expect(figures).toMatchObject({
      totalAssignments: 1,
      completedCount: 0,
      inProgressCount: 0,
      overdueCount: 1,
      completionRate: 0,
      avgCompletionTime: 0,
      byStatus: statusCounts({ OVERDUE: 1, CANCELLED: 1 }),
    });
    expect(figures.overdueAssignments.map((row) => row.id)).toEqual([assignment[6]]);
  });

  it('W4, with nothing assigned: zeros, never a division by zero', async () => {
    expect(await analytics(workers[3]!)).toMatchObject({
      totalAssignments: 0,
      completedCount: 0,
      completionRate: 0,
      avgCompletionTime: 0,
      byStatus: statusCounts({}),
      overdueAssignments: [],
    });
  });

  it('me { trainingProgress } gives a worker the same figures', async () => {
    const { me } = await ok(workers[1]!.request(MeDocument));
    expect(me.trainingProgress).toEqual({
      totalAssignments: 3,
      completedCount: 2,
      inProgressCount: 1,
      overdueCount: 0,
      completionRate: 66.67,
      avgCompletionTime: 52.5,
    });
    expect(me.trainingAssignments.totalCount).toBe(3);
  });
});

describe('trainingAnalytics: who may ask, and whose rows count', () => {
  it('refuses an integration (service role) with FORBIDDEN', async () => {
    const response = await service.request(TrainingAnalyticsDocument);
    expect(errorCode(response)).toBe('FORBIDDEN');
    expect(response.data ?? null).toBeNull();
    const progress = await service.request('{ me { trainingProgress { totalAssignments } } }');
    expect(errorCode(progress)).toBe('FORBIDDEN');
  });

  it("never counts another tenant's rows, in either direction", async () => {
    const other = await analytics(otherAdmin);
    expect(other).toMatchObject({
      totalCourses: 2,
      totalAssignments: 2,
      completedCount: 1,
      inProgressCount: 0,
      overdueCount: 1,
      completionRate: 50,
      avgCompletionTime: 10,
      byStatus: statusCounts({ COMPLETED: 1, OVERDUE: 1 }),
    });
    expect(other.byCourse.map((row) => row.course.title).sort()).toEqual([
      'Other Tenant Forklift',
      'Other Tenant Ladder Safety',
    ]);
    const mine = await analytics(admin);
    expect(mine.byCourse.map((row) => row.course.title)).not.toContain('Other Tenant Ladder Safety');
    expect(mine.overdueAssignments.every((row) => assignment.includes(row.id))).toBe(true);
    expect(mine.totalCourses).toBe(3);
    expect(mine.avgCompletionTime).toBe(45); // the other tenant's 10-minute completion is not in it
  });

  it('a tenant with no data gets zeros and empty breakdowns', async () => {
    const empty = await analytics(await server.actor('admin'));
    expect(empty).toEqual({
      totalCourses: 0,
      totalAssignments: 0,
      completedCount: 0,
      inProgressCount: 0,
      overdueCount: 0,
      completionRate: 0,
      avgCompletionTime: 0,
      byStatus: statusCounts({}),
      byCategory: [],
      byCourse: [],
      overdueAssignments: [],
    });
  });
});
