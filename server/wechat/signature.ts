// The official-account platform's request signature: sha1 of token, timestamp and nonce, sorted and joined.
import { createHash } from 'node:crypto';
import { sameSecret } from '../app/security.ts';

export function sign(token: string, timestamp: string, nonce: string): string {
  return createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
}

/** Whether the query (signature, timestamp, nonce) was signed with `token`. */
export function isSigned(query: Record<string, unknown>, token: string): boolean {
  const { signature, timestamp, nonce } = query;
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string') return false;
  return sameSecret(signature.toLowerCase(), sign(token, timestamp, nonce));
}
