// The demo tenant's risk picture: the zones people work in (shifts), who operates which equipment, and the risk
// engine's latest scores, so Training Analytics breaks figures down by zone and equipment and Auto-assign's
// Preview has people to propose, each with the score behind it. Sent through the API as the risk engine's
// integration would, without running auto-assignment: what it would do is left for Preview to show.
import {
  RecordPredictiveScoresDocument,
  RecordShiftAssignmentsDocument,
  SetEquipmentOperatorsDocument,
} from '../generated/operations/graphql.js';
import type { DocumentNode } from 'graphql';
import { DEMO_EQUIPMENT, DEMO_SERVICE, DEMO_WORKERS, DEMO_ZONES, type DemoUser } from './demo-tenant.js';

type Call = <Data>(as: DemoUser, document: DocumentNode, variables?: Record<string, unknown>) => Promise<Data>;

const HOUR_MS = 3_600_000;
const worker = (index: number) => DEMO_WORKERS[index]!.id;

/** Who had shifts in which zone over the last week (zone, worker indexes). */
const SHIFTS: [string, number[]][] = [
  [DEMO_ZONES.loadingDock, [0, 1, 4]],
  [DEMO_ZONES.highBay, [2, 3]],
  [DEMO_ZONES.yard, [4, 5]],
];

/** Each piece of equipment's operators (worker indexes). */
const OPERATORS: [string, number[]][] = [
  [DEMO_EQUIPMENT.forklift, [1, 4]],
  [DEMO_EQUIPMENT.reachTruck, [2]],
  [DEMO_EQUIPMENT.crane, [5]],
];

/** The latest scores: some over their courses' thresholds (the demo courses' 55–80), most not. */
const SCORES: { entityType: string; entityId: string; score: number }[] = [
  { entityType: 'ZONE', entityId: DEMO_ZONES.loadingDock, score: 45 },
  { entityType: 'ZONE', entityId: DEMO_ZONES.highBay, score: 77 },
  { entityType: 'ZONE', entityId: DEMO_ZONES.yard, score: 52 },
  { entityType: 'EQUIPMENT', entityId: DEMO_EQUIPMENT.forklift, score: 72 },
  { entityType: 'EQUIPMENT', entityId: DEMO_EQUIPMENT.reachTruck, score: 64 },
  { entityType: 'EQUIPMENT', entityId: DEMO_EQUIPMENT.crane, score: 40 },
  { entityType: 'WORKER', entityId: worker(0), score: 68 },
  { entityType: 'WORKER', entityId: worker(1), score: 61 },
  { entityType: 'WORKER', entityId: worker(4), score: 38 },
  { entityType: 'DRIVER', entityId: worker(3), score: 71 },
  { entityType: 'DRIVER', entityId: worker(4), score: 58 },
];

/** Records the shifts, operators and scores; returns what it recorded, for the seed's summary. */
export async function seedDemoRisk(call: Call): Promise<string> {
  const now = Date.now();
  const shifts = SHIFTS.flatMap(([zoneId, workers]) =>
    workers.flatMap((index) =>
      [1, 2, 3].map((daysAgo) => ({
        zoneId,
        userId: worker(index),
        startsAt: new Date(now - daysAgo * 24 * HOUR_MS).toISOString(),
        endsAt: new Date(now - daysAgo * 24 * HOUR_MS + 8 * HOUR_MS).toISOString(),
      })),
    ),
  );
  await call(DEMO_SERVICE, RecordShiftAssignmentsDocument, { shifts });
  await call(DEMO_SERVICE, SetEquipmentOperatorsDocument, {
    equipment: OPERATORS.map(([equipmentId, workers]) => ({ equipmentId, userIds: workers.map(worker) })),
  });
  const computedAt = new Date(now - HOUR_MS).toISOString();
  await call(DEMO_SERVICE, RecordPredictiveScoresDocument, {
    scores: SCORES.map((score) => ({ ...score, computedAt })),
    autoAssign: false,
  });
  return (
    `${SHIFTS.length} zones (${shifts.length} shifts), ${OPERATORS.length} pieces of equipment, ` +
    `${SCORES.length} risk scores`
  );
}
