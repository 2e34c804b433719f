// Internal to the lowdb store: where its pieces keep their data (the main file, each user's files, the
// journal, media), on disk or in memory. Only low-store.ts builds on it; tests use it to inject faults.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Memory, type Adapter } from 'lowdb';
import { DurableJSONFile, makeFolder, PRIVATE_FILE, replaceFile, syncFolder, writeInPlace } from './durable-file.ts';
import { lockData } from './data-lock.ts';
import { fileJournal, memoryJournal, type JournalStorage } from './journal.ts';
import { memoryRecords, recordFolder, type RecordFiles } from './low-records.ts';
import { mediaFolder, memoryMedia, type MediaFolder } from './media-files.ts';
import type { UserFiles } from './user-log.ts';

/** Where the data lives: the main file's adapter, each user's files, the journal, media, the recent API calls and the records. */
export type StoreLocation = {
  describe: string;
  main: () => Adapter<unknown>;
  user: (key: string) => UserFiles;
  journal: () => JournalStorage;
  media: () => MediaFolder;
  /** db.api-calls.json of an earlier version, moved into records at open and then removed. */
  apiCalls: () => { describe: string; adapter: Adapter<unknown>; remove: () => Promise<void> };
  records: () => RecordFiles;
  prepare: () => Promise<void>;
  /** Makes the data this process's alone until the release it resolves with (see data-lock.ts); refuses while another holds it. */
  lock: () => Promise<() => Promise<void>>;
  /** Syncs every folder a user's file was created or renamed in since the last sync (a new user's folder: its parent too). */
  syncUsers: () => Promise<void>;
};

/**
 * Files next to `dbFile`: `db.json`, `db.users/<hash of the user id>/`, `db.journal`, `db.media/`, `db.records/<kind>/`
 * (and `db.api-calls.json` of an earlier version).
 * No path is built from input.
 */
export function fileLocation(dbFile: string): StoreLocation {
  const base = dbFile.replace(/\.json$/i, '');
  const usersDir = `${base}.users`;
  // Folders whose new or renamed entries are not yet synced. A folder leaves the set before its sync starts, so
  // an entry made while the sync runs puts it back; a failed sync puts it back too, for the next checkpoint.
  const unsynced = new Set<string>();
  const sync = async (dir: string) => {
    unsynced.delete(dir);
    try {
      await syncFolder(dir);
    } catch (err) {
      unsynced.add(dir);
      throw err;
    }
  };
  return {
    describe: dbFile,
    // db.json of an earlier version holds the platform's state (the tokens handed out, the menu): its owner's only.
    main: () => new DurableJSONFile<unknown>(dbFile, 2, PRIVATE_FILE),
    user: (key) => {
      const dir = path.join(usersDir, key);
      const file = (name: string) => path.join(dir, `${name}.json`);
      // Compact JSON: only the program reads users' files, and it is half the bytes of pretty-printed.
      return {
        describe: path.join(path.basename(usersDir), key),
        // A sync call on purpose: for a new user (thousands in a flow suite) it is one lookup in a folder the
        // kernel has cached, about 2 µs, where an asynchronous read costs a trip through the fs pool and an
        // ENOENT Error with its stack, about 40 µs of CPU (measured with Node 20).
        exists: () => existsSync(file('meta')),
        read: (name) => readFile(file(name), 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err))),
        replace: async (name, contents) => {
          await replaceFile(file(name), contents);
          unsynced.add(dir);
        },
        create: async (name, contents) => {
          await writeInPlace(file(name), contents);
          unsynced.add(dir);
        },
        prepare: async () => {
          if ((await mkdir(dir, { recursive: true })) !== undefined) unsynced.add(usersDir);
        },
        sync: () => sync(dir),
      };
    },
    journal: () => fileJournal(base),
    media: () => mediaFolder(`${base}.media`),
    apiCalls: () => ({
      describe: `${path.basename(base)}.api-calls.json`,
      adapter: new DurableJSONFile<unknown>(`${base}.api-calls.json`),
      remove: async () => {
        await rm(`${base}.api-calls.json`, { force: true });
        await syncFolder(path.dirname(dbFile));
      },
    }),
    records: () => recordFolder(`${base}.records`),
    prepare: async () => {
      await makeFolder(path.dirname(dbFile));
      await makeFolder(usersDir);
    },
    lock: () => lockData(`${base}.lock`, dbFile),
    // One at a time: each sync holds a thread of the fs pool, which the journal's appends need too.
    syncUsers: async () => {
      for (const dir of [...unsynced]) await sync(dir);
    },
  };
}

/** Everything in memory, for tests and throwaway runs. */
export function memoryLocation(): StoreLocation {
  const adapters = new Map<string, Adapter<unknown>>();
  const adapter = <T>(name: string) => {
    if (!adapters.has(name)) adapters.set(name, new Memory<unknown>());
    return adapters.get(name) as Adapter<T>;
  };
  const records = memoryRecords();
  const texts = new Map<string, string>();
  return {
    describe: 'memory',
    main: () => adapter('main'),
    user: (key) => ({
      describe: `memory:${key}`,
      exists: () => texts.has(`${key}/meta`),
      read: async (name) => texts.get(`${key}/${name}`) ?? null,
      replace: async (name, contents) => void texts.set(`${key}/${name}`, contents.toString()),
      create: async (name, contents) => void texts.set(`${key}/${name}`, contents.toString()),
      prepare: async () => {},
      sync: async () => {},
    }),
    journal: memoryJournal,
    media: memoryMedia,
    apiCalls: () => ({ describe: 'memory:api-calls', adapter: adapter('api-calls'), remove: () => adapter('api-calls').write(null) }),
    records: () => records,
    prepare: async () => {},
    // Memory is this process's own.
    lock: async () => async () => {},
    syncUsers: async () => {},
  };
}
