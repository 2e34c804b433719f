// Internal to the lowdb store: the platform's records (ChatStore.records), one small file per record,
// `db.records/<kind>/<first two hex digits>/<hash of the key>.json`. A put writes that file alone, whole and
// durably (durable-file.ts), so its cost never grows with how many records there are, and a damaged file
// harms only its own record: reading it rejects `damaged` and leaves it for a person to look at. Hashed
// names: no path is built from a key, and 256 folders keep each one short with hundreds of thousands of records.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import AsyncLock from 'async-lock';
import { z } from 'zod';
import { checkKind, StoreError, type Records } from './chat-store.ts';
import { makeFolder, PRIVATE_FILE, syncFolder, writeDurably } from './durable-file.ts';

/** Where the record files live: named by kind and the hash of the key, holding text. */
export type RecordFiles = {
  describe: (kind: string, name: string) => string;
  read: (kind: string, name: string) => Promise<string | undefined>;
  write: (kind: string, name: string, text: string) => Promise<void>;
  remove: (kind: string, name: string) => Promise<void>;
  /** The names of every record of a kind. */
  names: (kind: string) => Promise<string[]>;
  /** The kinds that have a folder. */
  kinds: () => Promise<string[]>;
};

const recordSchema = z.object({ key: z.string(), value: z.unknown(), expiresAt: z.number().optional() });
type StoredRecord = z.infer<typeof recordSchema>;

const nameOf = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 40);
const shardOf = (name: string) => name.slice(0, 2);
const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** Files under `dir`; they hold tokens' records, so they are their owner's only. */
export function recordFolder(dir: string): RecordFiles {
  const folder = (kind: string, name: string) => path.join(dir, kind, shardOf(name));
  const file = (kind: string, name: string) => path.join(folder(kind, name), `${name}.json`);
  const made = new Set<string>();
  const list = (at: string) => readdir(at).catch((err: unknown) => (missing(err) ? [] : Promise.reject(err)));
  return {
    describe: (kind, name) => path.join(path.basename(dir), kind, shardOf(name), `${name}.json`),
    read: (kind, name) => readFile(file(kind, name), 'utf8').catch((err: unknown) => (missing(err) ? undefined : Promise.reject(err))),
    write: async (kind, name, text) => {
      const at = folder(kind, name);
      if (!made.has(at)) await makeFolder(at);
      made.add(at);
      await writeDurably(file(kind, name), text, PRIVATE_FILE);
    },
    remove: async (kind, name) => {
      await rm(file(kind, name), { force: true });
      await syncFolder(folder(kind, name)).catch((err: unknown) => (missing(err) ? undefined : Promise.reject(err)));
    },
    names: async (kind) => {
      const names: string[] = [];
      for (const shard of await list(path.join(dir, kind))) {
        // Temporary files a crash left start with a dot; they are never a record.
        for (const entry of await list(path.join(dir, kind, shard))) if (entry.endsWith('.json') && !entry.startsWith('.')) names.push(entry.slice(0, -5));
      }
      return names;
    },
    kinds: () => list(dir),
  };
}

/** The same in memory, for tests and throwaway runs. */
export function memoryRecords(): RecordFiles {
  const texts = new Map<string, string>();
  const id = (kind: string, name: string) => `${kind}/${name}`;
  return {
    describe: (kind, name) => `memory:${id(kind, name)}`,
    read: async (kind, name) => texts.get(id(kind, name)),
    write: async (kind, name, text) => void texts.set(id(kind, name), text),
    remove: async (kind, name) => void texts.delete(id(kind, name)),
    names: async (kind) => [...texts.keys()].filter((k) => k.startsWith(`${kind}/`)).map((k) => k.slice(kind.length + 1)),
    kinds: async () => [...new Set([...texts.keys()].map((k) => k.split('/')[0]!))],
  };
}

/** Every kind's records in one place: writes to one file run one after another (they share its temporary file). */
export class RecordShelf {
  private readonly writing = new AsyncLock({ maxPending: Infinity });

  constructor(
    private readonly files: RecordFiles,
    private readonly now: () => number,
    private readonly track: <R>(work: Promise<R>) => Promise<R>,
  ) {}

  of<T>(kind: string): Records<T> {
    checkKind(kind);
    return {
      get: async (key) => {
        const stored = await this.read(kind, nameOf(key));
        return stored && stored.key === key ? (stored.value as T) : undefined;
      },
      put: (key, value, options = {}) => {
        const stored: StoredRecord = options.ttlMs === undefined ? { key, value } : { key, value, expiresAt: this.now() + options.ttlMs };
        return this.change(kind, nameOf(key), 'The record', (files, name) => files.write(kind, name, JSON.stringify(stored)));
      },
      claim: async (key, value, options = {}) => {
        const name = nameOf(key);
        const stored: StoredRecord = options.ttlMs === undefined ? { key, value } : { key, value, expiresAt: this.now() + options.ttlMs };
        let claimed = false;
        let damaged: unknown;
        // Under the file's write lock, so two claims in this process cannot both find it free; one process owns a lowdb store.
        await this.change(kind, name, 'The record', async (files) => {
          const current = await this.read(kind, name).catch((err: unknown) => {
            damaged = err; // a damaged record is left for a person, never claimed over
            return undefined;
          });
          if (damaged || (current && current.key === key)) return;
          await files.write(kind, name, JSON.stringify(stored));
          claimed = true;
        });
        if (damaged) throw damaged;
        return claimed;
      },
      delete: (key) => this.change(kind, nameOf(key), 'The deletion', (files, name) => files.remove(kind, name)),
      list: async (prefix = '') => {
        const found: { key: string; value: T }[] = [];
        for (const name of await this.unavailableWhenFailing(this.files.names(kind))) {
          const stored = await this.read(kind, name);
          if (stored?.key.startsWith(prefix)) found.push({ key: stored.key, value: stored.value as T });
        }
        return found;
      },
    };
  }

  /** Deletes the records whose time to live is over (the store does it at open, in the background). */
  async sweep(): Promise<void> {
    for (const kind of await this.files.kinds()) {
      for (const name of await this.files.names(kind)) {
        const text = await this.files.read(kind, name);
        const parsed = text === undefined ? undefined : recordSchema.safeParse(safeJSON(text));
        if (parsed?.success && this.lapsed(parsed.data)) await this.change(kind, name, 'The deletion', (files) => files.remove(kind, name));
      }
    }
  }

  /** The live record in a file, undefined when there is none or it lapsed; rejects `damaged` for a file that is not one. */
  private async read(kind: string, name: string): Promise<StoredRecord | undefined> {
    const text = await this.unavailableWhenFailing(this.files.read(kind, name));
    if (text === undefined) return undefined;
    const parsed = recordSchema.safeParse(safeJSON(text));
    if (!parsed.success) throw StoreError.aboutFile(this.files.describe(kind, name), 'not a record of this version');
    return this.lapsed(parsed.data) ? undefined : parsed.data;
  }

  private lapsed(stored: StoredRecord): boolean {
    return stored.expiresAt !== undefined && stored.expiresAt <= this.now();
  }

  private async change(kind: string, name: string, what: string, write: (files: RecordFiles, name: string) => Promise<void>): Promise<void> {
    try {
      await this.track(this.writing.acquire(`${kind}/${name}`, () => write(this.files, name)));
    } catch (err) {
      throw StoreError.unwritten(what, err);
    }
  }

  private async unavailableWhenFailing<R>(reading: Promise<R>): Promise<R> {
    try {
      return await reading;
    } catch (err) {
      throw new StoreError('unavailable', `The records could not be read (${(err as NodeJS.ErrnoException).code ?? 'read failed'}).`);
    }
  }
}

function safeJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
