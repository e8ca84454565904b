import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { mintToken } from '../../src/core/auth.js';
import { createBenchDatabase } from '../../tests/support/database.js';
import { freePort, startChild, stopAll, waitReady, type Child } from '../../tests/support/processes.js';
import { fmt, table } from '../../tests/support/report.js';
import type { Benchmark } from '../suite.js';
import { seedRecords } from './seed.js';
import { xlsxRows } from './xlsx-rows.js';

/**
 * The auditors' export streamed: GET /exports/training-records.csv and .xlsx of a tenant with ROWS assignments (one
 * row each), from our API in a process of its own, the body read here and counted, not kept (an .xlsx is kept in a
 * temporary file until its rows are counted). Every file must hold one row per seeded assignment. For each format a
 * one-course export (ROWS / PER_WORKER rows) runs first, then the whole tenant. The server's peak resident memory
 * of each export is its VmHWM, reset before the export (/proc/<pid>/clear_refs), and at least the largest VmRSS
 * sampled every SAMPLE_MS. Flat memory: the whole tenant's peak is no higher than the one course's, though the file
 * is a hundred times larger, and within one export the peak of each quarter of the file is no higher than the last
 * (within FLAT_MIB). RECORDS_BENCH_DATABASE_URL names a database this seed already filled (the same ROWS), which is
 * used as it is and kept, instead of seeding a throwaway one.
 */

const ROWS = Number(process.env.RECORDS_BENCH_ROWS ?? 1_000_000);
const PER_WORKER = 100;
const WORKERS = Math.ceil(ROWS / PER_WORKER);
const SAMPLE_MS = 50;
/** How far a later quarter's peak RSS may rise above the first quarter's for the export to count as flat. */
const FLAT_MIB = 16;
const TENANT = '9c4f3d21-5e6a-4b7c-8d9e-0f1a2b3c4d5e';
const ADMIN = '0d5e4f32-6a7b-4c8d-9e0f-1a2b3c4d5e6f';
const OFFICER = '1e6f5a43-7b8c-4d9e-8f0a-2b3c4d5e6f70';

const statusMb = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  const line = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1] ?? 0) / 1024;
};

/** Resets the process's peak resident size (VmHWM) to its current one; false where the kernel refuses. */
const resetPeak = (pid: number): boolean => {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
};

interface Exported {
  bytes: number;
  seconds: number;
  beforeMb: number;
  peakMb: number;
  afterMb: number;
  /** The largest VmRSS sampled while each quarter of the file's bytes arrived: flat memory keeps these level. */
  quarterPeaksMb: number[];
  /** The machine's load average over the last minute once the last byte is read. */
  load: number;
}

/** The data rows of a downloaded file: its lines but the heading (no field of this seed breaks a line). */
function csvRows() {
  let lines = 0;
  return {
    take(chunk: Uint8Array) {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    },
    count: async () => lines - 1,
  };
}

/** The data rows of a downloaded workbook: its worksheet's rows but the heading, counted once it is complete. */
function workbookRows() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'records-bench-'));
  const file = path.join(dir, 'export.xlsx');
  const fd = openSync(file, 'w');
  return {
    take: (chunk: Uint8Array) => void writeSync(fd, chunk),
    async count() {
      closeSync(fd);
      try {
        return (await xlsxRows(file)) - 1;
      } finally {
        rmSync(dir, { recursive: true });
      }
    },
  };
}

/**
 * Downloads `url`, counting bytes, while sampling the server's resident memory; fails unless the file holds
 * `expectedRows` rows.
 */
async function exportOnce(
  url: string,
  token: string,
  pid: number,
  format: 'csv' | 'xlsx',
  expectedRows: number,
): Promise<Exported> {
  const rowCounter = format === 'csv' ? csvRows() : workbookRows();
  const hwm = resetPeak(pid);
  const beforeMb = statusMb(pid, 'VmRSS');
  let sampled = beforeMb;
  let bytes = 0;
  const samples: [bytes: number, rssMb: number][] = [];
  const sampler = setInterval(() => {
    const rssMb = statusMb(pid, 'VmRSS');
    sampled = Math.max(sampled, rssMb);
    samples.push([bytes, rssMb]);
  }, SAMPLE_MS);
  const started = performance.now();
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    for await (const chunk of response.body!) {
      bytes += (chunk as Uint8Array).length;
      rowCounter.take(chunk as Uint8Array);
    }
    const seconds = (performance.now() - started) / 1000;
    const peakMb = Math.max(sampled, statusMb(pid, 'VmRSS'), hwm ? statusMb(pid, 'VmHWM') : 0);
    // A quarter no sample fell in (a short export) is NaN, printed as –.
    const quarterPeaksMb = [0, 1, 2, 3].map((quarter) => {
      const inQuarter = samples.filter(([at]) => Math.min(3, Math.floor((4 * at) / bytes)) === quarter);
      return inQuarter.length ? Math.max(...inQuarter.map(([, mb]) => mb)) : Number.NaN;
    });
    const afterMb = statusMb(pid, 'VmRSS');
    const load = os.loadavg()[0]!;
    const rows = await rowCounter.count();
    if (rows !== expectedRows) throw new Error(`${url}: ${rows} rows exported, ${expectedRows} seeded`);
    return {
      bytes,
      seconds,
      beforeMb,
      peakMb,
      afterMb,
      quarterPeaksMb,
      load,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** Whether the later quarters' peaks stay within FLAT_MIB of the first's (a quarter with no sample is skipped). */
const flatWithin = (quarterPeaksMb: number[]) =>
  quarterPeaksMb.slice(1).every((mb) => Number.isNaN(mb) || mb - quarterPeaksMb[0]! <= FLAT_MIB);

/** An existing database seeded earlier, as createBenchDatabase's, and the counts seedRecords returned. */
async function seededEarlier(url: string) {
  const withClient = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  const { rows } = await withClient((client) =>
    client.query<{ assignments: number; completions: number; certificates: number }>(
      `SELECT (SELECT count(*) FROM training_assignments)::int AS assignments,
              (SELECT count(*) FROM training_completions)::int AS completions,
              (SELECT count(*) FROM certificates)::int AS certificates`,
    ),
  );
  if (rows[0]!.assignments !== ROWS) throw new Error(`${url} holds ${rows[0]!.assignments} assignments, not ${ROWS}`);
  return { db: { url, withClient, drop: async () => undefined }, counts: rows[0]! };
}

export const records: Benchmark = {
  name: 'records',
  async run() {
    const secret = randomBytes(32).toString('hex');
    const loadBefore = readFileSync('/proc/loadavg', 'utf8').trim();
    const existing = process.env.RECORDS_BENCH_DATABASE_URL;
    const earlier = existing ? await seededEarlier(existing) : undefined;
    const db = earlier?.db ?? (await createBenchDatabase('bench_records'));
    let server: Child | undefined;
    try {
      const seedStarted = performance.now();
      const counts =
        earlier?.counts ??
        (await db.withClient(async (client) => {
          const seeded = await seedRecords(client, {
            tenantId: TENANT,
            adminId: ADMIN,
            officerId: OFFICER,
            workers: WORKERS,
            perWorker: PER_WORKER,
          });
          await client.query('VACUUM ANALYZE');
          return seeded;
        }));
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
      // Every course is taken by every worker: one course is ROWS / PER_WORKER rows.
      const [{ id: oneCourse, n: courseRows }] = (
        await db.withClient((client) =>
          client.query<{ id: string; n: number }>(
            `SELECT course_id::text AS id, count(*)::int AS n FROM training_assignments WHERE tenant_id = $1
             GROUP BY course_id ORDER BY course_id LIMIT 1`,
            [TENANT],
          ),
        )
      ).rows as [{ id: string; n: number }];

      const startMb = statusMb(server.pid, 'VmRSS');
      const rows: (string | number)[][] = [];
      const flat: string[] = [];
      for (const format of ['csv', 'xlsx'] as const) {
        const url = `${origin}/exports/training-records.${format}`;
        const small = await exportOnce(`${url}?course=${oneCourse}`, token, server.pid, format, courseRows);
        const full = await exportOnce(url, token, server.pid, format, counts.assignments);
        console.log(
          `${format}: ${JSON.stringify({ small, full })}, load ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
        );
        for (const [label, run, count] of [
          ['one course', small, courseRows],
          ['whole tenant', full, counts.assignments],
        ] as const) {
          rows.push([
            `.${format}, ${label}`,
            count.toLocaleString('en'),
            fmt(run.bytes / 2 ** 20, 1),
            fmt(run.seconds, 1),
            Math.round(count / run.seconds).toLocaleString('en'),
            fmt(run.beforeMb, 0),
            fmt(run.peakMb, 0),
            `+${fmt(run.peakMb - run.beforeMb, 0)}`,
            run.quarterPeaksMb.map((mb) => (Number.isNaN(mb) ? '–' : fmt(mb, 0))).join(' / '),
            run.quarterPeaksMb
              .map((mb, quarter) => {
                const last = quarter === 0 ? run.beforeMb : run.quarterPeaksMb[quarter - 1]!;
                return Number.isNaN(mb) || Number.isNaN(last)
                  ? '–'
                  : `${mb >= last ? '+' : '−'}${fmt(Math.abs(mb - last), 0)}`;
              })
              .join(' / '),
            flatWithin(run.quarterPeaksMb) ? 'yes' : 'NO',
            fmt(run.afterMb, 0),
            fmt(run.load, 1),
          ]);
        }
        flat.push(
          `.${format}: ${fmt(full.peakMb - small.peakMb, 0)} MiB (${fmt(small.peakMb, 0)} → ${fmt(full.peakMb, 0)}) ` +
            `for ${(counts.assignments / courseRows).toFixed(0)}× the rows`,
        );
      }
      const loadAfter = readFileSync('/proc/loadavg', 'utf8').trim();
      return [
        `## Records for auditors: streaming a ${ROWS.toLocaleString('en')}-row export`,
        '',
        `\`npm run bench -- records\` — one tenant with ${counts.assignments.toLocaleString('en')} assignments ` +
          `(${WORKERS.toLocaleString('en')} workers × ${PER_WORKER} courses, ${counts.completions.toLocaleString('en')} ` +
          `completions with their evidence, ${counts.certificates.toLocaleString('en')} certificates; seeded set-based ` +
          `by bench/records/seed.ts ${earlier ? 'in an earlier run' : `in ${fmt(seedSeconds, 0)} s`}), exported by an admin with ` +
          '`GET /exports/training-records.csv` and `.xlsx` from our API in its own process (production mode, ' +
          'PostgreSQL, RLS), the body read and counted by the benchmark, not kept, and its rows counted: each file ' +
          'holds one row per assignment it covers, or the run fails. For each format one course ' +
          `(${courseRows.toLocaleString('en')} rows) is exported first, then the whole tenant, on one server ` +
          `(RSS ${fmt(startMb, 0)} MiB before its first export). Peak RSS: the server's VmHWM, reset before each ` +
          `export through /proc/<pid>/clear_refs, and never below the VmRSS sampled every ${SAMPLE_MS} ms; RSS ` +
          'before and after: VmRSS when the export starts and once the last byte is read; by quarter: the largest ' +
          'VmRSS sampled while each quarter of the file arrived (level quarters: memory does not grow with the rows ' +
          "read); growth by quarter: each quarter's peak over the one before (the first over the RSS before); " +
          `flat: no later quarter peaks more than ${FLAT_MIB} MiB above the first. Seconds: request to last byte.`,
        '',
        table(
          [
            'export',
            'rows',
            'output MiB',
            'seconds',
            'rows/s',
            'RSS before MiB',
            'peak RSS MiB',
            'peak − before MiB',
            'peak RSS by quarter of the file MiB',
            'RSS growth by quarter MiB',
            'flat',
            'RSS after MiB',
            'load after',
          ],
          rows,
        ),
        '',
        `Flat memory, measured as the whole tenant's peak RSS minus the one course's peak RSS (same format, same ` +
          `server): ${flat.join('; ')}.`,
        '',
        `Load (\`cat /proc/loadavg\`): ${loadBefore} at the start, ${loadAfter} at the end, on ${os.cpus().length} ` +
          'shared cores (other work was running: read the memory columns, not the seconds).',
      ].join('\n');
    } finally {
      await stopAll([server]);
      await db.drop();
    }
  },
};
