import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type ExcelJS from 'exceljs';
import type { TextRow } from '../core/caller/index.js';
import { RECORD_COLUMNS } from './records-sql.js';

/** A file being written to the response, a batch of rows at a time. */
export interface RecordWriter {
  /** Writes the batch; resolves once the client has taken enough of it that the next batch may be read. */
  rows(batch: TextRow[]): Promise<void>;
  end(): Promise<void>;
  /** Bytes of the file held in this process, written but not yet handed to the socket. */
  buffered(): number;
}

/**
 * CSV goes to the response in pieces of about this many characters, each once the socket has taken the last:
 * what the process holds of the file stays near one piece, however long a batch's rows are.
 */
const CHUNK_CHARS = 16 * 1024;

/**
 * A writable's queue: exceljs' zip reads from a readable-stream 2 PassThrough, which has no `writableLength` or
 * `writableNeedDrain`, only the state they are read from (and a response has only those two).
 */
function queue(stream: Writable): { length: number; needDrain: boolean } {
  if (stream.writableNeedDrain !== undefined)
    return { length: stream.writableLength, needDrain: stream.writableNeedDrain };
  return (stream as unknown as { _writableState: { length: number; needDrain: boolean } })._writableState;
}

/**
 * Resolves once `stream` is below its high-water mark (at once if it is), or once the response `out` closes (the
 * client went away: nothing will drain); calls `waiting` first when it has to wait. Both listeners are let go
 * after each wait (a million rows make thousands of waits).
 */
async function taken(stream: Writable, out: Writable, waiting: () => void): Promise<void> {
  if (!queue(stream).needDrain || out.destroyed) return;
  waiting();
  const done = new AbortController();
  try {
    await Promise.race([once(stream, 'drain', { signal: done.signal }), once(out, 'close', { signal: done.signal })]);
  } finally {
    done.abort();
  }
}

/**
 * A cell as spreadsheet software reads it safely: a text starting with =, +, -, @ (or a tab or carriage
 * return) would be run as a formula when an auditor opens the file, so it is prefixed with an apostrophe.
 */
const inert = (value: string): string => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

const csvField = (value: string | null): string => {
  if (value === null) return '';
  const text = inert(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** RFC 4180 CSV (CRLF line ends), UTF-8 with a byte-order mark so spreadsheet software reads accents right. */
export function csvWriter(out: Writable, waiting: () => void): RecordWriter {
  out.write(`\uFEFF${RECORD_COLUMNS.map(([, heading]) => heading).join(',')}\r\n`);
  return {
    async rows(batch) {
      let text = '';
      for (const row of batch) {
        text += `${row.map(csvField).join(',')}\r\n`;
        if (text.length < CHUNK_CHARS) continue;
        out.write(text);
        text = '';
        await taken(out, out, waiting);
      }
      if (text) out.write(text);
      await taken(out, out, waiting);
    },
    end: () => new Promise((resolve) => out.end(resolve)),
    buffered: () => out.writableLength,
  };
}

/** The score is the one number of a row: a cell spreadsheet software can sum. */
const SCORE = RECORD_COLUMNS.findIndex(([key]) => key === 'score');

/** Rows committed to the workbook between two looks at whether the zip has taken them. */
const XLSX_ROWS_PER_WAIT = 64;

/** The stream exceljs' zip reads a worksheet from, once the zip has reached it (exceljs 4 internals). */
function sheetIntake(sheet: ExcelJS.Worksheet): Writable | undefined {
  const stream = (sheet as unknown as { stream?: { pipes?: Writable[] } }).stream;
  if (!Array.isArray(stream?.pipes)) throw new Error('exceljs no longer exposes the worksheet stream it zips');
  return stream.pipes[0];
}

/**
 * An .xlsx workbook written as it goes (exceljs' streaming writer): each row is committed and let go. exceljs
 * writes a worksheet into its zip without backpressure, so a batch waits until the zip has taken the rows
 * written so far (its intake below its mark), then until the response has; otherwise batches pile up
 * uncompressed in the zip's intake while the client reads slowly.
 */
export async function xlsxWriter(out: Writable, waiting: () => void): Promise<RecordWriter> {
  // Loaded on the first .xlsx export: exceljs is some 19 MB of a process's memory.
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const sheet = workbook.addWorksheet('Training records');
  sheet.columns = RECORD_COLUMNS.map(([key, heading]) => ({ key, header: heading, width: 20 }));
  const zipTaken = async () => {
    const zip = sheetIntake(sheet);
    if (zip) await taken(zip, out, waiting);
  };
  const pending = () => {
    const zip = sheetIntake(sheet);
    return zip ? queue(zip).length : 0;
  };
  return {
    async rows(batch) {
      for (const [index, row] of batch.entries()) {
        sheet
          .addRow(
            row.map((value, column) => {
              if (value === null) return null;
              return column === SCORE ? Number(value) : inert(value);
            }),
          )
          .commit();
        if (index % XLSX_ROWS_PER_WAIT === XLSX_ROWS_PER_WAIT - 1) await zipTaken();
      }
      await zipTaken();
      await taken(out, out, waiting);
    },
    async end() {
      sheet.commit();
      await workbook.commit();
    },
    buffered: () => out.writableLength + pending(),
  };
}
