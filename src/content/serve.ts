import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errorResponse, notFound } from '../core/errors.js';
import { json } from '../core/http.js';

/** Types of a cmi5 package's files, by extension (the AU's own pages, scripts and media). */
const PACKAGE_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.webp': 'image/webp',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.pdf': 'application/pdf',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

/**
 * Uploaded bytes never run as this origin's pages: a package's HTML and scripts run sandboxed (an opaque origin,
 * so they cannot read the web app's storage or call it with its session), and a file of the allow-list is shown,
 * not executed (XML and zip are downloads).
 */
const SANDBOX = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

/**
 * Serves one file, with HTTP range requests (a video seeks by asking for a byte range): `contentType` for an upload,
 * or null and `entry` (a path inside `root`, a package's folder) for a package's file, typed by its extension.
 */
export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  contentType: string | null,
  entry?: string,
): Promise<void> {
  const file = entry === undefined ? root : insideFolder(root, entry);
  const info = file ? await stat(file).catch(() => undefined) : undefined;
  if (!file || !info?.isFile()) return missing(res);
  const type = contentType ?? PACKAGE_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const download = contentType === 'application/zip' || contentType === 'application/xml';
  const headers: Record<string, string> = {
    'content-type': type,
    'accept-ranges': 'bytes',
    'cache-control': 'private, max-age=300',
    'last-modified': info.mtime.toUTCString(),
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'same-origin',
  };
  if (contentType === null) headers['content-security-policy'] = SANDBOX;
  if (download) Object.assign(headers, { 'content-disposition': 'attachment', 'content-security-policy': 'sandbox' });
  const size = info.size;
  const range = requestedRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
    return void res.end();
  }
  const [start, end] = range ?? [0, size - 1];
  const length = size === 0 ? 0 : end - start + 1;
  if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, { ...headers, 'content-length': String(length) });
  if (req.method === 'HEAD' || length === 0) return void res.end();
  await pipeline(createReadStream(file, { start, end }), res);
}

/** The file `entry` names under `root`, or undefined for a path that would leave it. */
function insideFolder(root: string, entry: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(entry);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const resolved = path.resolve(root, `.${path.posix.normalize(decoded)}`);
  return resolved.startsWith(root + path.sep) ? resolved : undefined;
}

/**
 * One byte range of `Range: bytes=…` (`a-b`, `a-`, `-n`), clamped to the file; undefined (the whole file) for no
 * header, several ranges or a unit other than bytes; 'unsatisfiable' for a range that starts past the end.
 */
export function requestedRange(
  header: string | undefined,
  size: number,
): [number, number] | undefined | 'unsatisfiable' {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return [start, end];
}

function missing(res: ServerResponse): void {
  const { body } = errorResponse(notFound('Content'));
  json(res, 404, body);
}
