import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { mintToken } from '../../src/core/auth.js';
import { createBenchDatabase } from '../../tests/support/database.js';
import { freePort, startChild, stopAll, waitReady, type Child } from '../../tests/support/processes.js';
import { fmt, table } from '../../tests/support/report.js';
import { seedTraining } from '../../tests/support/seed.js';
import type { Benchmark } from '../suite.js';

/**
 * The auditors' export streamed: GET /exports/training-records.csv and .xlsx of a tenant with ROWS assignments (one
 * row each), from our API in a process of its own, the body read here and counted, not kept. The server's resident
 * memory is sampled every SAMPLE_MS from /proc during each export: flat memory means the peak stays near the
 * resident size before it, whatever the size of the file. A one-worker export (WORKER_ROWS rows) runs first, so
 * "before" is a server that has exported once already.
 */

const ROWS = Number(process.env.RECORDS_BENCH_ROWS ?? 1_000_000);
const PER_WORKER = 100;
const WORKERS = Math.ceil(ROWS / PER_WORKER);
const SAMPLE_MS = 50;
const TENANT = '9c4f3d21-5e6a-4b7c-8d9e-0f1a2b3c4d5e';
const ADMIN = '0d5e4f32-6a7b-4c8d-9e0f-1a2b3c4d5e6f';
const OFFICER = '1e6f5a43-7b8c-4d9e-8f0a-2b3c4d5e6f70';

const rssMb = (pid: number) => {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1] ?? 0) / 1024;
};

interface Exported {
  bytes: number;
  seconds: number;
  beforeMb: number;
  peakMb: number;
}

/** Downloads `url`, counting bytes, while sampling the server's resident memory. */
async function exportOnce(url: string, token: string, pid: number): Promise<Exported> {
  const beforeMb = rssMb(pid);
  let peakMb = beforeMb;
  const sampler = setInterval(() => (peakMb = Math.max(peakMb, rssMb(pid))), SAMPLE_MS);
  const started = performance.now();
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    let bytes = 0;
    for await (const chunk of response.body!) bytes += (chunk as Uint8Array).length;
    return { bytes, seconds: (performance.now() - started) / 1000, beforeMb, peakMb: Math.max(peakMb, rssMb(pid)) };
  } finally {
    clearInterval(sampler);
  }
}

export const records: Benchmark = {
  name: 'records',
  async run() {
    const secret = randomBytes(32).toString('hex');
    const loadBefore = os.loadavg()[0]!;
    const db = await createBenchDatabase('bench_records');
    let server: Child | undefined;
    try {
      const seedStarted = performance.now();
      const counts = await db.withClient(async (client) => {
        const seeded = await seedTraining(client, [
          {
            id: TENANT,
            adminId: ADMIN,
            officerId: OFFICER,
            workers: WORKERS,
            courses: PER_WORKER,
            assignmentsPerWorker: PER_WORKER,
          },
        ]);
        await client.query('VACUUM ANALYZE');
        return seeded;
      });
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      const port = await freePort();
      server = startChild('our API', ['src/main.ts'], {
        DATABASE_URL: db.url,
        JWT_SECRET: secret,
        PORT: String(port),
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        EMAIL_POLL_MS: 'off',
        ...Object.fromEntries(
          [
            'AUTO_ASSIGN',
            'OVERDUE_SWEEP',
            'RISK_ESCALATION',
            'REMINDERS',
            'RECERTIFICATION',
            'QUALIFICATION_EXPIRY',
            'QUIZ_DEADLINES',
          ].map((job) => [`${job}_CRON`, '']),
        ),
      });
      const origin = `http://127.0.0.1:${port}`;
      await waitReady(server, `${origin}/readyz`);
      const token = await mintToken({ secret, tenantId: TENANT, userId: ADMIN, role: 'admin', name: 'Auditor' });
      const [{ user_id: oneWorker }] = (
        await db.withClient((client) =>
          client.query<{ user_id: string }>(
            'SELECT user_id::text FROM training_assignments WHERE tenant_id = $1 LIMIT 1',
            [TENANT],
          ),
        )
      ).rows as [{ user_id: string }];

      const rows: (string | number)[][] = [];
      for (const format of ['csv', 'xlsx'] as const) {
        const url = `${origin}/exports/training-records.${format}`;
        const small = await exportOnce(`${url}?user=${oneWorker}`, token, server.pid);
        const full = await exportOnce(url, token, server.pid);
        console.log(`${format}: ${JSON.stringify({ small, full })}, load ${os.loadavg()[0]!.toFixed(1)}`);
        for (const [label, run, count] of [
          ['one worker', small, PER_WORKER],
          ['whole tenant', full, counts.assignments],
        ] as const) {
          rows.push([
            `.${format}, ${label}`,
            count.toLocaleString('en'),
            fmt(run.bytes / 2 ** 20, 1),
            fmt(run.seconds, 1),
            fmt(run.beforeMb, 0),
            fmt(run.peakMb, 0),
            fmt(run.peakMb - run.beforeMb, 0),
          ]);
        }
      }
      return [
        '## Records for auditors: streaming a million-row export',
        '',
        `One tenant with ${counts.assignments.toLocaleString('en')} assignments (${WORKERS.toLocaleString('en')} workers × ` +
          `${PER_WORKER} courses, ${counts.completions.toLocaleString('en')} completions; seeded by SQL in ${fmt(seedSeconds, 0)} s), ` +
          'exported by an admin with `GET /exports/training-records.csv` and `.xlsx` from our API in its own process ' +
          '(production mode, PostgreSQL, RLS), the body read and counted by the benchmark (`bench/records`). The ' +
          `server's resident memory (VmRSS) sampled every ${SAMPLE_MS} ms during each export; a one-worker export of ` +
          'each format runs first. Flat memory: the peak stays near the size before, whatever the file size.',
        '',
        table(['export', 'rows', 'output MiB', 'seconds', 'RSS before MiB', 'peak RSS MiB', 'growth MiB'], rows),
        '',
        `Load average: ${fmt(loadBefore, 1)} at the start, ${fmt(os.loadavg()[0]!, 1)} at the end.`,
      ].join('\n');
    } finally {
      await stopAll([server]);
      await db.drop();
    }
  },
};
