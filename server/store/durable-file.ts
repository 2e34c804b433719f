// A lowdb adapter for files the journal hands its data to: written whole to a temporary file, synced, then
// renamed over the old one, so the file on disk is always either the old version or the new one, complete.
// A rename, a new file or a deletion is durable only once its folder is synced too: until then a power cut
// can undo it, and the journal that also held the data may already be gone.
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import AsyncLock from 'async-lock';
import type { Adapter } from 'lowdb';

/** Makes the entries of `dir` durable: files created, renamed or deleted in it since the last sync. */
export async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes `dir` (and its parents) if needed, durably: a new folder is an entry in its parent. */
export async function makeFolder(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  // Every folder made, from the parent of the first one down, gained an entry that must survive a power cut.
  for (let made = dir; ; made = path.dirname(made)) {
    await syncFolder(path.dirname(made));
    if (made === first) break;
  }
}

/** Replaces `file` with `contents` so that a crash leaves the old or the new contents, whole; resolves once synced. */
export async function writeDurably(file: string, contents: string | Buffer): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(contents);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await syncFolder(path.dirname(file));
}

export class DurableJSONFile<T> implements Adapter<T> {
  /** Writes run one after another: two at once would share the temporary file. */
  private readonly writing = new AsyncLock({ maxPending: Infinity });

  /** `indent` pretty-prints, for files people read and edit by hand. */
  constructor(
    private readonly file: string,
    private readonly indent?: number,
  ) {}

  async read(): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Resolves once the new contents are on disk. */
  write(data: T): Promise<void> {
    const contents = JSON.stringify(data, null, this.indent);
    return this.writing.acquire(this.file, () => writeDurably(this.file, contents));
  }
}
