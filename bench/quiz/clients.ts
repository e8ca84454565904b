import { Worker } from 'node:worker_threads';

/**
 * The quiz benchmark's clients, in a worker thread at a lower CPU priority (as in tests/support/request-loop.ts):
 * each client sends its requests one after the other, either as fast as the answers come (closed loop) or each
 * `paceMs` after the previous one was due (open loop, paced like a worker answering a question every few
 * seconds; the latency is counted from when the request was due). Two kinds of client: HTTP (a worker's app
 * saving answers through the API; an answer without `answer` in it, or with errors, is a failure) and `pg` (the
 * floors: the same upsert sent straight to PostgreSQL through a pool as large as the API's, as one statement, or
 * in the worker's own transaction under RLS).
 */

export type Target =
  | {
      kind: 'http';
      url: string;
      /** `tokens`: one per request, when they are not all the client's `token`. */
      clients: { token: string; bodies: string[]; tokens?: string[] }[];
      answer: string;
    }
  | {
      kind: 'pg';
      url: string;
      poolMax: number;
      sql: string;
      /** Set: each row in its own transaction as this tenant's worker (`userIds`) under RLS, sent as one script. */
      asWorker?: { tenantId: string };
      clients: { rows: (string | null)[][]; userIds: string[] }[];
    };

export interface LoadRun {
  /** Per request, ms from sending (or from when it was due, paced) to the whole answer. */
  latencies: number[];
  /** From the first request sent to the last answer. */
  wallMs: number;
  /** Requests whose answer was not a success. */
  failures: number;
  /** Requests sent again after their connection closed before any answer. */
  retries: number;
  /** Requests sent again after a 503 (the server could not take them in time). */
  unavailable: number;
  firstFailure: string | null;
}

const LOOP = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const os = require('node:os');
const { performance } = require('node:perf_hooks');
try { os.setPriority(0, 10); } catch {}
const { target, paceMs } = workerData;
const latencies = [];
let failures = 0;
let retries = 0;
let unavailable = 0;
let firstFailure = null;
const fail = (why) => { failures++; firstFailure ??= why; };
let send;
let close = async () => {};
if (target.kind === 'http') {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const url = new URL(target.url.replace('//localhost:', '//127.0.0.1:'));
  close = async () => agent.destroy();
  send = (client, index, attempt = 0) => new Promise((resolve) => {
    const body = client.bodies[index];
    const request = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
                 authorization: 'Bearer ' + (client.tokens ? client.tokens[index] : client.token) } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => {
        // 503: the server could not get to it in time and says to retry shortly; a client does, after a pause.
        if (response.statusCode === 503 && attempt < 5) {
          unavailable++;
          setTimeout(() => resolve(send(client, index, attempt + 1)), 250 * (attempt + 1));
          return;
        }
        if (response.statusCode !== 200 || !text.includes(target.answer) || text.includes('"errors"')) fail(text);
        resolve();
      });
    });
    // A connection the server closed as the request went out (a kept-alive socket's race): sent again, as
    // clients do with requests that are safe to repeat (a save is).
    request.on('error', (error) => {
      if (attempt < 3 && !request.res) { retries++; resolve(send(client, index, attempt + 1)); }
      else { fail(String(error)); resolve(); }
    });
    request.end(body);
  });
} else {
  const { Pool } = require('pg');
  const pool = new Pool({ connectionString: target.url, max: target.poolMax });
  close = () => pool.end();
  const literal = (value) => (value === null ? 'NULL' : "'" + String(value).replace(/'/g, "''") + "'");
  const script = (client, index) =>
    "BEGIN; SELECT set_config('role', 'training_app', true), set_config('app.tenant_id', " +
    literal(target.asWorker.tenantId) + ", true), set_config('app.user_id', " + literal(client.userIds[index]) +
    ", true), set_config('app.role', 'worker', true); " +
    target.sql.replace(/\\$(\\d+)/g, (_, n) => literal(client.rows[index][Number(n) - 1])) + '; COMMIT';
  send = (client, index) =>
    (target.asWorker ? pool.query(script(client, index)) : pool.query(target.sql, client.rows[index]))
      .then(() => {}, (error) => fail(String(error)));
}
const length = (client) => (client.bodies ?? client.rows).length;
async function closedLoop(client) {
  for (let i = 0; i < length(client); i++) {
    const started = performance.now();
    await send(client, i);
    latencies.push(performance.now() - started);
  }
}
async function paced(client, offset, start) {
  const sends = [];
  for (let i = 0; i < length(client); i++) {
    const due = start + offset + i * paceMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sends.push(send(client, i).then(() => { latencies.push(performance.now() - due); }));
  }
  await Promise.all(sends);
}
(async () => {
  const start = performance.now();
  const clients = target.clients;
  await Promise.all(clients.map((client, n) =>
    paceMs ? paced(client, (n / clients.length) * paceMs, start) : closedLoop(client)));
  const wallMs = performance.now() - start;
  await close();
  parentPort.postMessage({ latencies, wallMs, failures, firstFailure, retries, unavailable });
})();
`;

/** Runs the target's clients all at once (paced when `paceMs` is set) and reports what they measured. */
export function runClients(target: Target, paceMs = 0): Promise<LoadRun> {
  const worker = new Worker(LOOP, { eval: true, workerData: { target, paceMs } });
  return new Promise<LoadRun>((resolve, reject) => {
    worker.once('message', (run: LoadRun) => {
      resolve(run);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}
