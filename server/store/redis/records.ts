// The Redis store's records (ChatStore.records): one string key per record, `<prefix>record:{<kind>:<key>}`,
// with Redis's own expiry (PX) for a time to live; Redis 7.0 has no expiry per hash field, so one hash per
// kind could not let each record lapse on its own. `list` walks the kind's keys with SCAN (on every master of a cluster), never KEYS.
import { checkKind, StoreError, type Records } from '../chat-store.ts';
import { getAll, scanAll, type RedisClient } from './connection.ts';

/** Escapes what Redis's glob patterns (SCAN MATCH) treat specially. */
export const literal = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

export class RedisRecords {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /** Tells every process sharing the store (this one too) that a record changed; a lost notice only delays them. */
    private readonly announce: (kind: string, key: string) => Promise<void>,
  ) {}

  private name(kind: string, key: string): string {
    // In braces: a hash tag, so on a Redis Cluster the whole name picks the slot.
    return `${this.prefix}record:{${kind}:${key}}`;
  }

  of<T>(kind: string): Records<T> {
    checkKind(kind);
    return {
      get: async (key) => {
        const json = await this.attempt('The record', 'read', () => this.redis.get(this.name(kind, key)));
        return json === null ? undefined : (JSON.parse(json) as T);
      },
      put: async (key, value, { ttlMs } = {}) => {
        const name = this.name(kind, key);
        const json = JSON.stringify(value);
        await this.attempt('The record', 'stored', () => (ttlMs === undefined ? this.redis.set(name, json) : this.redis.set(name, json, 'PX', Math.max(1, Math.round(ttlMs)))));
        await this.announce(kind, key);
      },
      claim: async (key, value, { ttlMs } = {}) => {
        const name = this.name(kind, key);
        const json = JSON.stringify(value);
        const set = await this.attempt('The record', 'stored', () => (ttlMs === undefined ? this.redis.set(name, json, 'NX') : this.redis.set(name, json, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')));
        if (set !== 'OK') return false;
        await this.announce(kind, key);
        return true;
      },
      delete: async (key) => {
        await this.attempt('The deletion', 'stored', () => this.redis.del(this.name(kind, key)));
        await this.announce(kind, key);
      },
      list: async (prefix = '') => {
        const start = this.name(kind, '').slice(0, -1); // without the closing brace
        const ordered = await this.attempt('The records', 'read', () => scanAll(this.redis, `${literal(start + prefix)}*}`));
        const values = await this.attempt('The records', 'read', () => getAll(this.redis, ordered));
        // A record that lapsed between SCAN and MGET reads as null: it is not listed.
        return ordered.flatMap((name, i) => (values[i] === null ? [] : [{ key: name.slice(start.length, -1), value: JSON.parse(values[i]!) as T }]));
      },
    };
  }

  private async attempt<R>(what: string, verb: 'read' | 'stored', command: () => Promise<R>): Promise<R> {
    try {
      return await command();
    } catch (err) {
      throw new StoreError('unavailable', `${what} could not be ${verb} (${(err as Error).message}); try again.`);
    }
  }
}
