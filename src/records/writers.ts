import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { RECORD_COLUMNS, type RecordRow } from './records-sql.js';

/** A file being written to the response, a batch of rows at a time. */
export interface RecordWriter {
  rows(batch: RecordRow[]): void;
  end(): Promise<void>;
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
export function csvWriter(out: Writable): RecordWriter {
  out.write(`\uFEFF${RECORD_COLUMNS.map(([, heading]) => heading).join(',')}\r\n`);
  return {
    rows(batch) {
      let text = '';
      for (const row of batch) text += `${RECORD_COLUMNS.map(([key]) => csvField(row[key])).join(',')}\r\n`;
      out.write(text);
    },
    end: () => new Promise((resolve) => out.end(resolve)),
  };
}

/** An .xlsx workbook written as it goes (exceljs' streaming writer): each row is committed and let go. */
export function xlsxWriter(out: Writable): RecordWriter {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const sheet = workbook.addWorksheet('Training records');
  sheet.columns = RECORD_COLUMNS.map(([key, heading]) => ({ key, header: heading, width: 20 }));
  return {
    rows(batch) {
      for (const row of batch) {
        sheet
          .addRow(
            RECORD_COLUMNS.map(([key]) => {
              const value = row[key];
              if (value === null) return null;
              return key === 'score' ? Number(value) : inert(value);
            }),
          )
          .commit();
      }
    },
    async end() {
      sheet.commit();
      await workbook.commit();
    },
  };
}
