import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import { badInput } from '../core/errors.js';
import { Rule } from '../core/field-rules.js';

/** A logo is shown small (a mail header, a certificate's corner): 256 KiB holds any sensible one. */
export const LOGO_MAX_BYTES = 256 * 1024;
/** What a PDF can embed and every mail client shows (no SVG: it can carry script, and PDFs cannot place it). */
export const LOGO_TYPES = ['image/png', 'image/jpeg'] as const;

export interface Logo {
  bytes: Buffer;
  type: (typeof LOGO_TYPES)[number];
  sha256: string;
}

/** The product's name where a tenant has not set its own. */
export const DEFAULT_ORGANISATION_NAME = 'Safety Training';

/** Where e-mails and the verify page load a logo from: its content hash, so the address changes with it. */
export const logoPath = (sha256: string) => `/branding/logo/${sha256}`;

/**
 * The logo from the mutation's string: a `data:image/…;base64,` URL or bare base64 of a PNG or JPEG. Its type is
 * sniffed from the bytes (the declared one is not trusted) and its size bounded before anything is stored.
 */
const logoTooLarge = () =>
  badInput('input.logo', `must be at most ${LOGO_MAX_BYTES / 1024} KiB`, Rule.maxFileSize, {
    maxKib: LOGO_MAX_BYTES / 1024,
  });

export async function parseLogo(value: string): Promise<Logo> {
  const base64 = value.trim().replace(/^data:[\w.+/-]*(;[\w=.-]+)*;base64,/i, '');
  // Bounded before decoding: base64 holds 3 bytes in 4 characters.
  if (base64.length > Math.ceil(LOGO_MAX_BYTES / 3) * 4 + 4) {
    throw logoTooLarge();
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) {
    throw badInput('input.logo', 'must be a PNG or JPEG image as base64 (or a data: URL)', Rule.fileType, {
      allowed: 'PNG, JPEG',
    });
  }
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length > LOGO_MAX_BYTES) throw logoTooLarge();
  const type = (await fileTypeFromBuffer(bytes))?.mime;
  if (type !== 'image/png' && type !== 'image/jpeg') {
    throw badInput(
      'input.logo',
      `must be a PNG or JPEG image (its bytes are ${type ?? 'of no image type'})`,
      Rule.fileType,
      {
        allowed: 'PNG, JPEG',
      },
    );
  }
  return { bytes, type, sha256: createHash('sha256').update(bytes).digest('hex') };
}
