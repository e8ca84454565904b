import type { IncomingMessage, ServerResponse } from 'node:http';
import { channel } from 'node:diagnostics_channel';
import type { ApiError } from '../core/errors.js';
import { bearerToken } from '../core/auth.js';
import { readInBatches, type AppServices, type Caller } from '../core/caller/index.js';
import type { Database } from '../core/db.js';
import { badInput, errorResponse, forbidden, unauthenticated } from '../core/errors.js';
import { isClientError } from '../core/error-masking.js';
import { json, type Route } from '../core/http.js';
import type { RequestLog } from '../core/logger.js';
import { may } from '../core/permissions.js';
import * as validate from '../core/validate.js';
import { trainingRecordsSql, type RecordFilter } from './records-sql.js';
import { csvWriter, xlsxWriter, type RecordWriter } from './writers.js';
import { Rule } from '../core/field-rules.js';

/**
 * `batchRows`: rows per cursor fetch. A batch lives until it is written, so it must be written within fewer
 * allocations than fill V8's young generation (some 10 MiB): a batch that outlives two minor GCs is promoted,
 * and the old generation then grows by every row until a full GC (a sawtooth of hundreds of MiB over a million
 * rows). An .xlsx row (exceljs' cells and XML) allocates many times what a .csv row does on its way out.
 */
const FORMATS = {
  csv: { type: 'text/csv; charset=utf-8', writer: csvWriter, batchRows: 2_000 },
  xlsx: {
    type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    writer: xlsxWriter,
    batchRows: 100,
  },
} as const;

/**
 * Published as an export reads a batch (`rows` read so far) and each time it waits for its client to take what
 * was written (`waiting`), with the bytes of the file then held in this process (`buffered`).
 */
export interface ExportProgress {
  format: keyof typeof FORMATS;
  rows: number;
  buffered: number;
  waiting: boolean;
}
/** How far an export's cursor runs ahead of its client, for whoever subscribes (tests, diagnostics). */
export const exportProgress = channel('training-records.export');

/**
 * `GET /exports/training-records.csv` and `.xlsx` for auditors (admin, safety officer; `Authorization: Bearer`):
 * filters `course`, `zone`, `equipment`, `user` (ids), `from`, `to` (dates or instants). Streamed from a cursor
 * read as the caller, a batch at a time, each written before the next is fetched.
 */
export function recordRoutes(services: AppServices, db: Database): Route[] {
  return (['csv', 'xlsx'] as const).map((format) => ({
    path: `/exports/training-records.${format}`,
    handle: (req, res, url, log) => exportRecords(services, db, format, req, res, url, log),
  }));
}

async function exportRecords(
  services: AppServices,
  db: Database,
  format: keyof typeof FORMATS,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  log: RequestLog,
): Promise<void> {
  if (req.method !== 'GET') {
    res.setHeader('allow', 'GET');
    return json(res, 405, { error: 'Use GET' });
  }
  let caller: Caller;
  let filter: RecordFilter;
  try {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw unauthenticated();
    const identity = await services.verifyToken(token);
    if (!may(identity.role, 'records.export')) throw forbidden();
    caller = { tenantId: identity.tenantId, userId: identity.userId, role: identity.role };
    filter = filterOf(url.searchParams);
  } catch (error) {
    if (!isClientError(error)) throw error;
    const { status, body } = errorResponse(error as ApiError);
    const code = (error as ApiError).extensions.code;
    return json(res, code === 'UNAUTHENTICATED' ? 401 : code === 'FORBIDDEN' ? 403 : status, body);
  }
  const day = new Date().toISOString().slice(0, 10);
  res.writeHead(200, {
    'content-type': FORMATS[format].type,
    'content-disposition': `attachment; filename="training-records-${day}.${format}"`,
    'cache-control': 'no-store',
  });
  let read = 0;
  const progress = (waiting: boolean) => {
    if (!exportProgress.hasSubscribers) return;
    const message: ExportProgress = { format, rows: read, buffered: writer.buffered(), waiting };
    exportProgress.publish(message);
  };
  const writer: RecordWriter = await FORMATS[format].writer(res, () => progress(true));
  let gone = false;
  res.once('close', () => (gone = !res.writableFinished));
  try {
    await readInBatches(
      db,
      caller,
      trainingRecordsSql(filter, caller.tenantId),
      async (rows) => {
        read += rows.length;
        progress(false);
        // Backpressure: the next batch is fetched once the client has taken this one.
        await writer.rows(rows);
        if (gone) throw new Error('the client went away');
      },
      { batchSize: FORMATS[format].batchRows },
    );
    await writer.end();
  } catch (error) {
    if (!gone) log.error({ err: error }, 'training records export failed');
    // Headers are gone: cutting the connection is how a client learns the file is incomplete.
    res.destroy();
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function bound(name: string, value: string | null): Date | undefined {
  if (value === null || value === '') return undefined;
  const date = new Date(DAY.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) {
    throw badInput(name, 'expected a date (YYYY-MM-DD) or an ISO 8601 instant', Rule.dateTime);
  }
  return date;
}

function filterOf(params: URLSearchParams): RecordFilter {
  const id = (name: string) => {
    const value = params.get(name);
    return value ? validate.uuid(name, value) : undefined;
  };
  const filter: RecordFilter = {
    courseId: id('course'),
    zoneId: id('zone'),
    equipmentId: id('equipment'),
    userId: id('user'),
    from: bound('from', params.get('from')),
    to: bound('to', params.get('to')),
  };
  if (filter.from && filter.to && filter.from > filter.to) {
    throw badInput('to', 'must not be before from', Rule.notBefore, { other: 'from' });
  }
  return filter;
}
