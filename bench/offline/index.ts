import { benchServerUrl } from '../../tests/support/database.js';
import { replayOutboxes, type ReplayReport } from '../../tests/support/offline-replay.js';
import { fmt, table } from '../../tests/support/report.js';
import { startTestServer } from '../../tests/support/server.js';
import type { Benchmark } from '../suite.js';

/**
 * Offline outboxes replayed at scale on PostgreSQL: DEVICES simulated phones, each with ACTIONS queued offline
 * (start and complete each of its assignments, the assignments interleaved at random), replayed all at once
 * through the chaos of tests/support/offline-replay.ts — requests cut mid-flight, expired tokens, apps killed
 * before they record an answer, stale duplicates, killed database sessions — while CANCELLED of each device's
 * assignments were cancelled meanwhile. Then the same volume replayed calmly (no chaos) on a fresh tenant: the
 * floor (run first; each replay on a server and database of its own). Reported: the rows against the expected ones, duplicates, lost actions, conflicts, and the time.
 */

const DEVICES = Number(process.env.OFFLINE_BENCH_DEVICES ?? 50);
const ACTIONS = Number(process.env.OFFLINE_BENCH_ACTIONS ?? 200);
const CANCELLED = Number(process.env.OFFLINE_BENCH_CANCELLED ?? 5);
const QUIET = Object.fromEntries(
  ['QUIZ_DEADLINES', 'AUTO_ASSIGN', 'OVERDUE_SWEEP', 'RISK_ESCALATION', 'REMINDERS', 'RECERTIFICATION'].map((job) => [
    `${job}_CRON`,
    '',
  ]),
);
/** `LOG_LEVEL=warn npm run bench -- offline` prints the server's logs (a masked error is logged with its cause). */
const LOGS = { ...QUIET, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };

const row = (name: string, report: ReplayReport) => [
  name,
  report.actions,
  `${report.completed} / ${report.expectedCompleted}`,
  report.duplicateRows,
  report.lost,
  report.cancelledTouched,
  report.conflicts.length,
  report.stats.cut,
  report.stats.expired,
  report.stats.restarts,
  report.stats.duplicates,
  report.stats.duplicateMismatches,
  report.stats.killed,
  report.stats.retried,
  fmt(report.seconds),
  fmt(report.actions / report.seconds, 0),
];

export const offline: Benchmark = {
  name: 'offline',
  async run() {
    const options = {
      devices: DEVICES,
      assignmentsPerDevice: ACTIONS / 2,
      cancelledPerDevice: CANCELLED,
      reorder: true,
    };
    // Each replay on a server and database of its own, so the floor inherits nothing of the chaos (a pool and a
    // database after minutes of killed sessions); the floor first, so a run cut short still has it.
    const replay = async (name: string, chaos: boolean) => {
      const server = await startTestServer(LOGS, { serverUrl: benchServerUrl });
      try {
        const report = await replayOutboxes(server, await server.actor('admin'), {
          ...options,
          ...(chaos ? { killConnections: true } : { chaos: false }),
        });
        console.log(`${name}: ${report.completed} / ${report.expectedCompleted} in ${fmt(report.seconds)} s`);
        return report;
      } finally {
        await server.stop();
      }
    };
    const calm = await replay('calm', false);
    const chaos = await replay('chaos', true);
    const conflictCodes = [...new Set(chaos.conflicts.map((c) => c.code))].join(', ');
    const exact = [chaos, calm].every(
      (r) => r.completed === r.expectedCompleted && r.duplicateRows + r.lost + r.cancelledTouched === 0,
    );
    return `## Offline outboxes replayed (\`npm run bench -- offline\`)

${DEVICES} devices × ${ACTIONS} actions queued offline (start and complete ${ACTIONS / 2} assignments each,
interleaved at random), ${CANCELLED} of each device's assignments cancelled meanwhile; all devices replay at once
against an API process on PostgreSQL, each replay on a server and database of its own. Chaos: 15 % of requests cut after their body was sent, 8 % sent with an
expired token (the device signs in again, keeping its queue), 5 % of answers lost to an app killed before it
recorded them (the action is sent again on restart), 10 % stale duplicates of an earlier action, one of the
API's database sessions (busy, or idle in the pool) terminated every 40–120 ms. The floor: the same volume
replayed once, calmly, first, in the same run.

${table(
  [
    'Replay',
    'Actions',
    'Completed / expected',
    'Duplicate rows',
    'Lost',
    'Cancelled changed',
    'Conflicts listed',
    'Cuts',
    'Expired tokens',
    'Restarts',
    'Duplicates sent',
    'Duplicate answers differing',
    'DB sessions killed',
    'Answers retried (5xx, retryable code, 401)',
    'Seconds',
    'Actions/s',
  ],
  [row('Chaos', chaos), row('Calm (floor)', calm)],
)}

Exactly the expected rows in both: **${exact ? 'yes' : 'NO'}**. Conflicts: ${chaos.conflicts.length} (${conflictCodes || 'none'}),
all ${chaos.cancelled.size} cancelled assignments' start and completion, every one listed. The chaos replay took
${fmt(chaos.seconds / calm.seconds, 2)}× the calm one's time.`;
  },
};
