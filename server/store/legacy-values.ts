// The platform's values as versions before the records kept them (lowdb: db.json's `values`; Redis:
// `<prefix>value:{<key>}` keys), and where each one goes now. Moved at open, so a store written by an earlier
// version keeps its menu and followers; a value of a key no version here knows is kept too, as kind `values`.
import type { Records } from './chat-store.ts';

/** A value as db.json kept it, and when it lapses (epoch ms). */
export type KeptValue = { value: unknown; expiresAt?: number };

/** The record an earlier version's value key is now: the platform's keys as they were named then. */
export function recordOfValue(key: string): { kind: string; key: string } {
  if (key.startsWith('openid:')) return { kind: 'followers', key: key.slice('openid:'.length) };
  if (key.startsWith('access_token:')) return { kind: 'tokens', key: key.slice('access_token:'.length) };
  if (key === 'menu') return { kind: 'menu', key: 'buttons' };
  return { kind: 'values', key };
}

/** Writes every value that has not lapsed into its record, keeping what is left of its time to live. */
export async function moveValuesToRecords(values: Record<string, KeptValue>, records: (kind: string) => Records<unknown>, now: number): Promise<void> {
  for (const [name, kept] of Object.entries(values)) {
    if (kept.expiresAt !== undefined && kept.expiresAt <= now) continue; // lapsed: no reader would see it
    const { kind, key } = recordOfValue(name);
    await records(kind).put(key, kept.value, kept.expiresAt === undefined ? {} : { ttlMs: kept.expiresAt - now });
  }
}
