// A lowdb adapter for files the journal hands its data to: written whole to a temporary file, synced, then
// renamed over the old one, so the file on disk is always either the old version or the new one, complete.
import { close, constants, open, rename, writeFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';

// O_DSYNC: the write returns once the data is on disk, one call to the fs pool instead of a write and an fdatasync.
const CREATE_SYNCED = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DSYNC;

/**
 * Replaces `file` with `contents` so that a crash leaves the old or the new contents, whole; resolves once synced.
 * Callbacks rather than a FileHandle: checkpoints call this for every changed user, on the thread that
 * answers messages, and a FileHandle's promises and bookkeeping cost several times more there.
 */
export function writeDurably(file: string, contents: string | Buffer): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  return new Promise((resolve, reject) => {
    open(temp, CREATE_SYNCED, (err, fd) => {
      if (err) return reject(err);
      const closeThen = (failure: Error | null) =>
        close(fd, (closeErr) => {
          const first = failure ?? closeErr;
          if (first) return reject(first);
          rename(temp, file, (renameErr) => (renameErr ? reject(renameErr) : resolve()));
        });
      writeFile(fd, contents, closeThen);
    });
  });
}

export class DurableJSONFile<T> implements Adapter<T> {
  /** Writes run one after another: two at once would share the temporary file. */
  private writing: Promise<unknown> = Promise.resolve();

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
    const run = this.writing.then(() => writeDurably(this.file, contents));
    this.writing = run.catch(() => undefined);
    return run;
  }
}
