// A lowdb adapter for files the journal hands its data to: written whole to a temporary file, synced, then
// renamed over the old one, so the file on disk is always either the old version or the new one, complete.
// A rename, a new file or a deletion is durable only once its folder is synced too: until then a power cut
// can undo it, and the journal that also held the data may already be gone.
import { close, constants, fchmod, fsync, open, rename, writeFile } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import AsyncLock from 'async-lock';
import type { Adapter } from 'lowdb';

// O_DSYNC: the write returns once the data is on disk, one call to the fs pool instead of a write and an fdatasync.
const CREATE_SYNCED = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DSYNC;

/** Makes the entries of `dir` durable: files created, renamed or deleted in it since the last sync. */
export function syncFolder(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    open(dir, constants.O_RDONLY, (err, fd) => {
      if (err) return reject(err);
      fsync(fd, (syncErr) => close(fd, (closeErr) => (syncErr ?? closeErr ? reject(syncErr ?? closeErr) : resolve())));
    });
  });
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

/** Owner only: for files that hold secrets (db.json keeps the platform's tokens). */
export const PRIVATE_FILE = 0o600;

/**
 * Replaces `file` with `contents` so that a crash leaves the old or the new contents, whole; resolves once
 * both the contents and the rename are synced. Callbacks rather than a FileHandle: checkpoints call this for
 * every changed user, on the thread that answers messages, and a FileHandle's promises and bookkeeping cost
 * several times more there. With `mode`, the file has that mode from the moment it holds the contents.
 */
export async function writeDurably(file: string, contents: string | Buffer, mode?: number): Promise<void> {
  await replaceFile(file, contents, mode);
  await syncFolder(path.dirname(file));
}

/**
 * writeDurably without the folder's sync: the contents are on disk, the rename is not durable until the caller
 * syncs the folder (a checkpoint syncs each folder it wrote in once, after all its files).
 */
export function replaceFile(file: string, contents: string | Buffer, mode?: number): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  return new Promise<void>((resolve, reject) => {
    open(temp, CREATE_SYNCED, (err, fd) => {
      if (err) return reject(err);
      const closeThen = (failure: Error | null) =>
        close(fd, (closeErr) => {
          const first = failure ?? closeErr;
          if (first) return reject(first);
          rename(temp, file, (renameErr) => (renameErr ? reject(renameErr) : resolve()));
        });
      // Set on the open file, before any contents: the mode given to open() is only for a new file, and
      // a temporary file left by a crash keeps whatever mode it had.
      if (mode === undefined) writeFile(fd, contents, closeThen);
      else fchmod(fd, mode, (modeErr) => (modeErr ? closeThen(modeErr) : writeFile(fd, contents, closeThen)));
    });
  });
}

/**
 * Writes `contents` straight into `file` (made or truncated), synced, with no temporary file: a crash can
 * leave it torn, so this is only for files whose every byte something else still holds until the folder is
 * synced (the journal, for a user's new files: see user-log.ts).
 */
export function writeInPlace(file: string, contents: string | Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    open(file, CREATE_SYNCED, (err, fd) => {
      if (err) return reject(err);
      writeFile(fd, contents, (writeErr) => close(fd, (closeErr) => (writeErr ?? closeErr ? reject(writeErr ?? closeErr) : resolve())));
    });
  });
}

export class DurableJSONFile<T> implements Adapter<T> {
  /** Writes run one after another: two at once would share the temporary file. */
  private readonly writing = new AsyncLock({ maxPending: Infinity });

  /** `indent` pretty-prints, for files people read and edit by hand; `mode` as in writeDurably. */
  constructor(
    private readonly file: string,
    private readonly indent?: number,
    private readonly mode?: number,
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
    return this.writing.acquire(this.file, () => writeDurably(this.file, contents, this.mode));
  }
}
