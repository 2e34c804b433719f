// Internal to the lowdb store: where its pieces keep their data (the main file, each user's files, the
// journal, media), on disk or in memory. Only low-store.ts builds on it; tests use it to inject faults.
import path from 'node:path';
import { Memory, type Adapter } from 'lowdb';
import { rm } from 'node:fs/promises';
import { DurableJSONFile, makeFolder, PRIVATE_FILE, syncFolder } from './durable-file.ts';
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
};

/**
 * Files next to `dbFile`: `db.json`, `db.users/<hash of the user id>/`, `db.journal`, `db.media/`, `db.records/<kind>/`
 * (and `db.api-calls.json` of an earlier version).
 * No path is built from input.
 */
export function fileLocation(dbFile: string): StoreLocation {
  const base = dbFile.replace(/\.json$/i, '');
  const usersDir = `${base}.users`;
  return {
    describe: dbFile,
    // db.json of an earlier version holds the platform's state (the tokens handed out, the menu): its owner's only.
    main: () => new DurableJSONFile<unknown>(dbFile, 2, PRIVATE_FILE),
    user: (key) => {
      const dir = path.join(usersDir, key);
      const file = (name: string) => path.join(dir, `${name}.json`);
      return {
        describe: path.join(path.basename(usersDir), key),
        // Compact JSON: only the program reads users' files, and it is half the bytes of pretty-printed.
        adapter: <T>(name: string) => new DurableJSONFile<T>(file(name)),
        prepare: () => makeFolder(dir),
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
  return {
    describe: 'memory',
    main: () => adapter('main'),
    user: (key) => ({ describe: `memory:${key}`, adapter: <T>(name: string) => adapter<T>(`${key}/${name}`), prepare: async () => {} }),
    journal: memoryJournal,
    media: memoryMedia,
    apiCalls: () => ({ describe: 'memory:api-calls', adapter: adapter('api-calls'), remove: () => adapter('api-calls').write(null) }),
    records: () => records,
    prepare: async () => {},
  };
}
