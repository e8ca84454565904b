import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Config } from '../core/config.js';
import { badInput, contentTooLarge, unsupportedContentType, type ApiError } from '../core/errors.js';
import { contentSettings } from './settings.js';
import { ALLOWED_TYPES, SNIFF_BYTES, sniffType } from './sniff.js';
import { openUpload } from './storage.js';
import { Rule } from '../core/field-rules.js';

/** A file received whole into its temporary place, sniffed and measured; `keep` puts it in place. */
export interface Received {
  id: string;
  contentType: string;
  size: number;
  fileName: string | null;
  keep(): Promise<void>;
  discard(): Promise<void>;
}

/** Multipart framing around the file (boundaries, part headers, other small fields) allowed beyond the limit. */
const FRAMING_BYTES = 64 * 1024;

/**
 * Reads a multipart request's `file` field into storage as it arrives (never whole in memory): the first bytes are
 * sniffed for the type, the size is held to CONTENT_MAX_BYTES. A refused file is discarded and the rest of the request
 * read and dropped, so the client, still sending, gets the answer. Resolves to the file or the error to answer with;
 * `tooLargeToRead`: the declared length alone is over the limit (answer at once and close the connection).
 */
export async function receiveUpload(
  req: IncomingMessage,
  config: Config,
  tenantId: string,
): Promise<Received | { refused: ApiError; tooLargeToRead?: boolean }> {
  const { maxBytes } = contentSettings.of(config);
  if (Number(req.headers['content-length'] ?? 0) > maxBytes + FRAMING_BYTES) {
    return { refused: contentTooLarge(maxBytes), tooLargeToRead: true };
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 1024 } });
  } catch {
    return {
      refused: badInput('file', 'send multipart/form-data with the file in a field named "file"', Rule.required),
    };
  }
  const id = randomUUID();
  let stored: Promise<Received | { refused: ApiError }> | undefined;
  parser.on('file', (name, file, info) => {
    if (name !== 'file' || stored) return void file.resume();
    stored = store(file, config, tenantId, id, info.filename, maxBytes);
  });
  await pipeline(req, parser);
  if (!stored)
    return { refused: badInput('file', 'no file: send it in a multipart field named "file"', Rule.required) };
  return stored;
}

async function store(
  file: NodeJS.ReadableStream & { truncated?: boolean },
  config: Config,
  tenantId: string,
  id: string,
  fileName: string | undefined,
  maxBytes: number,
): Promise<Received | { refused: ApiError }> {
  const upload = await openUpload(config, tenantId, id);
  let head: Buffer[] = [];
  let headBytes = 0;
  let size = 0;
  let contentType: string | undefined;
  let refused = false;
  /** Once the head is sniffed: the whole head, else nothing (a refused file's bytes are dropped). */
  const decide = async (): Promise<Buffer | undefined> => {
    const whole = Buffer.concat(head);
    head = [];
    contentType = await sniffType(whole);
    refused = contentType === undefined;
    return refused ? undefined : whole;
  };
  const sniffer = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (refused) return done();
      if (contentType) return done(null, chunk);
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes < SNIFF_BYTES) return done();
      decide().then((bytes) => done(null, bytes), done);
    },
    flush(done) {
      if (contentType || refused) return done();
      decide().then((bytes) => done(null, bytes), done);
    },
  });
  try {
    await pipeline(file, sniffer, upload.stream);
  } catch (error) {
    await upload.discard();
    throw error;
  }
  if (file.truncated || refused) {
    await upload.discard();
    return { refused: refused ? unsupportedContentType([...ALLOWED_TYPES]) : contentTooLarge(maxBytes) };
  }
  return {
    id,
    contentType: contentType!,
    size,
    fileName: fileName ? fileName.slice(0, 255) : null,
    keep: upload.keep,
    discard: upload.discard,
  };
}
