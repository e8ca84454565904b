import { fileTypeFromBuffer } from 'file-type';

/** Bytes of a file's head enough for every type of the allow-list. */
export const SNIFF_BYTES = 4100;

/** The types an upload may be, as sniffed from its bytes (the name and the declared type are ignored). */
export const ALLOWED_TYPES: ReadonlySet<string> = new Set([
  'video/mp4',
  'video/webm',
  'video/quicktime',
  'audio/mpeg',
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/zip',
  'application/xml',
]);

/**
 * The file's type from its first bytes, or undefined when it is none of ALLOWED_TYPES. A cmi5.xml alone (for AUs
 * hosted elsewhere) is XML: file-type knows it by its declaration; a bare root element without one is taken too.
 */
export async function sniffType(head: Buffer): Promise<string | undefined> {
  const detected = await fileTypeFromBuffer(head);
  const mime = detected?.mime === 'text/xml' ? 'application/xml' : detected?.mime;
  if (mime && ALLOWED_TYPES.has(mime)) return mime;
  if (!detected && /^\s*<courseStructure[\s>]/.test(head.toString('utf8'))) return 'application/xml';
  return undefined;
}
