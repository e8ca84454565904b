import { createPublicKey, createVerify, X509Certificate } from 'node:crypto';
import { invalid } from './errors.js';
import { isObject, type Json } from './rules.js';
import { SIGNATURE_USAGE } from './statement.js';
import { sameStatement } from './compare.js';

/**
 * A signed statement: its signature attachment is a JWS (compact) whose payload is the statement as signed,
 * with RS256, RS384 or RS512; with an x5c certificate chain in its header the signature must verify with it.
 */
const HASHES: Record<string, string> = { RS256: 'RSA-SHA256', RS384: 'RSA-SHA384', RS512: 'RSA-SHA512' };

export function checkSignature(statement: Json, parts: ReadonlyMap<string, { contentType: string; content: Buffer }>) {
  if (!Array.isArray(statement.attachments)) return;
  const attachments = statement.attachments as Json[];
  const signature = attachments.find((attachment) => attachment.usageType === SIGNATURE_USAGE);
  if (!signature) return;
  if (signature.contentType !== 'application/octet-stream') {
    throw invalid('a signature attachment has contentType application/octet-stream');
  }
  const part = parts.get(signature.sha2 as string);
  if (!part) return; // a missing part is refused with the other attachments
  const [head, payload, sig, extra] = part.content.toString('utf8').trim().split('.');
  if (head === undefined || payload === undefined || sig === undefined || extra !== undefined) {
    throw invalid('the signature is not a compact JWS');
  }
  const header = decodeJson(head, 'the JWS header');
  const hash = HASHES[header.alg as string];
  if (!hash) throw invalid('the signature must use RS256, RS384 or RS512');
  const signed = decodeJson(payload, 'the JWS payload');
  if (!sameStatement(withoutAttachments(signed), withoutAttachments(statement), true)) {
    throw invalid('the JWS payload is not this statement');
  }
  if (Array.isArray(header.x5c) && typeof header.x5c[0] === 'string') {
    const key = createPublicKey(
      new X509Certificate(Buffer.from(header.x5c[0], 'base64')).publicKey.export({ format: 'pem', type: 'spki' }),
    );
    const valid = createVerify(hash).update(`${head}.${payload}`).verify(key, Buffer.from(sig, 'base64url'));
    if (!valid) throw invalid('the signature does not verify with its x5c certificate');
  }
}

function decodeJson(segment: string, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw invalid(`${what} is not JSON`);
  }
  if (!isObject(value)) throw invalid(`${what} is not a JSON object`);
  return value;
}

const withoutAttachments = ({ attachments: _ignored, ...rest }: Json): Json => rest;
