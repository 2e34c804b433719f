// Media kept as files of their own beside the store (`db.media/<id>` and `<id>.json`), never inside the JSON:
// each written to a temporary file, synced, then renamed (and the folder synced), as the other store files are.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { MediaRecord } from './chat-store.ts';
import { makeFolder, writeDurably } from './durable-file.ts';

export interface MediaFolder {
  put(record: MediaRecord, bytes: Buffer): Promise<void>;
  get(mediaId: string): Promise<{ record: MediaRecord; bytes: Buffer } | undefined>;
}

// Media ids are made by the store (letters, digits, '_' and '-'): anything else is simply not there.
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Media files in `dir`, made on the first upload. */
export function mediaFolder(dir: string): MediaFolder {
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
        const record = JSON.parse(await readFile(path.join(dir, `${mediaId}.json`), 'utf8')) as MediaRecord;
        return { record, bytes: await readFile(path.join(dir, mediaId)) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
  };
}

/** Media in memory, for memory stores. */
export function memoryMedia(): MediaFolder {
  const media = new Map<string, { record: MediaRecord; bytes: Buffer }>();
  return {
    put: async (record, bytes) => void media.set(record.mediaId, { record, bytes }),
    get: async (mediaId) => media.get(mediaId),
  };
}
