import { randomBytes } from 'node:crypto';

/**
 * A certificate's code, made when a passed completion of a certifying course issues it (complete-sql.ts),
 * and the public addresses built from it, which certificates/ serves.
 */

/** 144 random bits as base64url: 24 URL-safe characters, unguessable. */
const CODE_BYTES = 18;
/** What a code looks like (the table's CHECK allows 22–64 such characters); anything else is unknown. */
export const CERTIFICATE_CODE = /^[A-Za-z0-9_-]{22,64}$/;

export function newCertificateCode(): string {
  return randomBytes(CODE_BYTES).toString('base64url');
}

export const certificatePdfPath = (code: string) => `/certificates/${code}.pdf`;
export const certificateVerifyPath = (code: string) => `/verify/${code}`;
