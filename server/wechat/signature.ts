// The official-account platform's request signature: sha1 of token, timestamp and nonce, sorted and joined.
import { createHash, timingSafeEqual } from 'node:crypto';

export function sign(token: string, timestamp: string, nonce: string): string {
  return createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
}

/** Whether the query (signature, timestamp, nonce) was signed with `token`. */
export function isSigned(query: Record<string, unknown>, token: string): boolean {
  const { signature, timestamp, nonce } = query;
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string') return false;
  const expected = Buffer.from(sign(token, timestamp, nonce));
  const given = Buffer.from(signature.toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
