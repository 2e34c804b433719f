// Media kept as files of their own beside the store (`db.media/<id>` and `<id>.json`), never inside the JSON:
// each written to a temporary file, synced, then renamed (and the folder synced), as the other store files are.
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { MediaRecord } from './chat-store.ts';
import { makeFolder, writeDurably } from './durable-file.ts';

export interface MediaFolder {
  put(record: MediaRecord, bytes: Buffer): Promise<void>;
  get(mediaId: string): Promise<{ record: MediaRecord; bytes: Buffer } | undefined>;
  /** Every record kept (what the store's quota and expiry sweep start from). */
  records(): Promise<MediaRecord[]>;
  /** Deletes a file's bytes and record; nothing when there is none. */
  delete(mediaId: string): Promise<void>;
}

// Media ids are made by the store (letters, digits, '_' and '-'): anything else is simply not there.
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** Media files in `dir`, made on the first upload. */
export function mediaFolder(dir: string): MediaFolder {
  const readRecord = async (mediaId: string) => JSON.parse(await readFile(path.join(dir, `${mediaId}.json`), 'utf8')) as MediaRecord;
  return {
    async put(record, bytes) {
      if (!SAFE_ID.test(record.mediaId)) throw new Error(`not a media id: ${record.mediaId}`);
      await makeFolder(dir);
      // The bytes first: a record is never left naming bytes that are not there.
      await writeDurably(path.join(dir, record.mediaId), bytes);
      await writeDurably(path.join(dir, `${record.mediaId}.json`), JSON.stringify(record));
    },
    async get(mediaId) {
      if (!SAFE_ID.test(mediaId)) return undefined;
      try {
        const record = await readRecord(mediaId);
        return { record, bytes: await readFile(path.join(dir, mediaId)) };
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },
    async records() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if (isMissing(err)) return [];
        throw err;
      }
      const ids = names.filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length)).filter((id) => SAFE_ID.test(id));
      return Promise.all(ids.map(readRecord));
    },
    async delete(mediaId) {
      if (!SAFE_ID.test(mediaId)) return;
      // The record first: bytes are never left named by a record.
      await rm(path.join(dir, `${mediaId}.json`), { force: true });
      await rm(path.join(dir, mediaId), { force: true });
    },
  };
}

/** Media in memory, for memory stores. */
export function memoryMedia(): MediaFolder {
  const media = new Map<string, { record: MediaRecord; bytes: Buffer }>();
  return {
    put: async (record, bytes) => void media.set(record.mediaId, { record, bytes }),
    get: async (mediaId) => media.get(mediaId),
    records: async () => [...media.values()].map((m) => m.record),
    delete: async (mediaId) => void media.delete(mediaId),
  };
}
