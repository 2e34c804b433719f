// The write-ahead journal in front of the users' lowdb files. Commits from every user are appended to one
// file in batches (group commit): a batch is written and synced once, then all its commits are
// acknowledged. The users' segment files are brought up to date later, many messages in one write
// (a checkpoint), after which the journal's older part is dropped.
import { constants, write } from 'node:fs';
import { open, rename, rm, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import AsyncLock from 'async-lock';
import { syncFolder } from './durable-file.ts';
import type { Commit } from './chat-store.ts';
import { MAX_UTF8_PER_UNIT, type JsonBytes } from './json-bytes.ts';

/** One journal line: `at` is how many messages the user had before this commit, so replaying is idempotent. */
export type JournalEntry = { userId: string; at: number; commit: Commit };

/** The journal's bytes: the live part, and the retired part a checkpoint is bringing into the user files. */
export interface JournalStorage {
  readonly describe: string;
  /** Appends and syncs; when it fails, the journal is left as it was before. */
  append(bytes: Buffer): Promise<void>;
  /** The retired part (if any), then the live part, each as its bytes (read line by line: no text of the whole). */
  read(): Promise<Array<{ describe: string; bytes: Buffer }>>;
  /** Turns the live part into the retired one and starts an empty live part. */
  retire(): Promise<void>;
  readonly hasRetired: boolean;
  dropRetired(): Promise<void>;
  /** Deletes both parts: everything in them is in the user files. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

// O_DSYNC: each write returns once its data is on disk, as a write and an fdatasync would, in one call to
// the fs pool instead of two (each call wakes a pool thread that competes with the main thread for a core).
const APPEND_SYNCED = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC;

/** `<db>.journal` and `<db>.journal.retired` next to the main file. */
export function fileJournal(base: string): JournalStorage {
  const live = `${base}.journal`;
  const retired = `${base}.journal.retired`;
  const folder = path.dirname(live);
  let handle: FileHandle | undefined;
  let size = 0;
  let hasRetired = false;
  // Set when a failed append could not be undone: nothing is appended until the file is whole again.
  let torn = false;

  const liveHandle = async (): Promise<FileHandle> => {
    if (!handle) {
      handle = await open(live, APPEND_SYNCED);
      size = (await handle.stat()).size;
      // A journal file just made: its entry in the folder must be durable before anything in it is acknowledged.
      if (size === 0) await syncFolder(folder);
    }
    return handle;
  };
  const closeHandle = async () => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };

  return {
    describe: live,
    get hasRetired() {
      return hasRetired;
    },
    async append(bytes) {
      const h = await liveHandle();
      if (torn) {
        await h.truncate(size);
        torn = false;
      }
      try {
        await writeAll(h.fd, bytes);
        size += bytes.length;
      } catch (err) {
        // Cut off whatever part of the batch made it, so the next batch does not follow half a line.
        await h.truncate(size).catch(() => (torn = true));
        throw err;
      }
    },
    async read() {
      const parts = [];
      for (const file of [retired, live]) {
        const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return undefined;
          throw err;
        });
        if (bytes !== undefined) parts.push({ describe: file, bytes });
        if (file === retired) hasRetired = bytes !== undefined;
      }
      return parts;
    },
    async retire() {
      if (torn) {
        await handle!.truncate(size);
        torn = false;
      }
      await closeHandle();
      await rename(live, retired).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await syncFolder(folder);
      hasRetired = true;
    },
    async dropRetired() {
      await rm(retired, { force: true });
      await syncFolder(folder);
      hasRetired = false;
    },
    async clear() {
      await closeHandle();
      await rm(retired, { force: true });
      await rm(live, { force: true });
      await syncFolder(folder);
      hasRetired = false;
    },
    close: closeHandle,
  };
}

/**
 * Appends `bytes` to the journal (opened with O_DSYNC: synced when this resolves). Callbacks on the descriptor
 * rather than the FileHandle's promises: this runs once per batch on the thread that answers messages.
 */
function writeAll(fd: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = (offset: number) =>
      write(fd, bytes, offset, bytes.length - offset, null, (err, written) => {
        if (err) return reject(err);
        if (offset + written < bytes.length) from(offset + written);
        else resolve();
      });
    from(0);
  });
}

/** A journal that keeps nothing: for memory stores, whose data ends with the process anyway. */
export function memoryJournal(): JournalStorage {
  return {
    describe: 'memory journal',
    hasRetired: false,
    append: async () => {},
    read: async () => [],
    retire: async () => {},
    dropRetired: async () => {},
    clear: async () => {},
    close: async () => {},
  };
}

/**
 * The journal line of a commit, built from its messages' JSON (made once): JSON that parses back as the
 * JournalEntry (the commit's messages first), and a newline. In parts, one after another, which the batch's
 * write encodes straight into its buffer (joined, they would be copied first): the first ends with the
 * messages' bracket and the last begins with its closing one, so the parts between are the messages, each at an
 * odd place, with a comma part between two.
 */
export function journalLine(userId: string, at: number, commit: Commit, messages: string[]): string[] {
  const { messages: _, json: _json, endsTurn: _ends, ...rest } = commit; // the session, the clientId, the follower state and window, a revised message
  const parts = [`{"userId":${JSON.stringify(userId)},"at":${at},"commit":{"messages":[`];
  for (let i = 0; i < messages.length; i++) {
    if (i > 0) parts.push(',');
    parts.push(messages[i]!);
  }
  parts.push(`],${JSON.stringify(rest).slice(1)}}\n`);
  return parts;
}

const NEWLINE = 0x0a;

/**
 * The entries of a journal part, one line at a time (a part of 128 MiB is never one string, nor its entries
 * all at once). A torn last line (a crash mid-append, never acknowledged) is left out, and `onTornTail` told;
 * a line that does not parse as an entry throws JournalDamage with its number.
 */
export function* journalEntries(describe: string, bytes: Buffer, onTornTail: () => void): Generator<JournalEntry> {
  let line = 0;
  for (let start = 0; start < bytes.length; ) {
    const end = bytes.indexOf(NEWLINE, start);
    if (end < 0) return onTornTail(); // after the final newline: nothing unless the last append was cut short
    line++;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(bytes.toString('utf8', start, end)) as JournalEntry;
      if (typeof entry.userId !== 'string' || !Number.isInteger(entry.at) || !Array.isArray(entry.commit?.messages)) throw new Error('unexpected shape');
    } catch (err) {
      throw new JournalDamage(describe, line, (err as Error).message);
    }
    yield entry;
    start = end + 1;
  }
}

export class JournalDamage extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line} is damaged (${reason})`);
  }
}

type Waiting = { line: string[]; resolve: (messages: JsonBytes) => void; reject: (err: unknown) => void };

/** Group commit: appends wait together while a write is in progress, then go to disk in one write. */
export class Journal {
  private waiting: Waiting[] = [];
  /** One write or retirement at a time, in the order asked for. */
  private readonly writer = new AsyncLock({ maxPending: Infinity });
  /** Bytes appended since the last retirement: how much a checkpoint has to catch up. */
  liveBytes = 0;

  constructor(readonly storage: JournalStorage) {}

  /**
   * Appends a line (journalLine) and resolves once it is on disk, with the bytes of its messages' JSON as
   * written (comma-separated, the inside of its `messages` array) and where each ends: a view of the batch's
   * buffer, to be copied by whoever keeps it. The user's segment copies them instead of encoding the same text again.
   */
  append(line: string[]): Promise<JsonBytes> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ line, resolve, reject });
      // Written after the current turn of the event loop, not at once: the commits of every message read in
      // this turn (many users' packets arrive together) join the batch and share one synced write.
      if (this.waiting.length === 1) setImmediate(() => void this.writer.acquire('journal', () => this.writeWaiting()));
    });
  }

  /** Retires the live part between two batches, so no batch is split across the parts. */
  retire(): Promise<void> {
    return this.writer.acquire('journal', async () => {
      await this.storage.retire();
      this.liveBytes = 0;
    });
  }

  private async writeWaiting(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    // The batch's lines are strings until here, each encoded once, straight into the batch's buffer. The buffer
    // is sized by the most UTF-8 can take (3 bytes per UTF-16 unit): counting the bytes first would walk every
    // string twice, and the pages past what is written are never touched.
    let units = 0;
    for (const w of batch) for (const part of w.line) units += part.length;
    const buffer = Buffer.allocUnsafeSlow(units * MAX_UTF8_PER_UNIT);
    let at = 0;
    // Each line's messages: the parts between its first (up to the array's bracket) and its last, a message at
    // each odd place and a comma between two.
    const messages: JsonBytes[] = [];
    for (const { line } of batch) {
      const last = line.length - 1;
      at += buffer.write(line[0]!, at);
      const start = at;
      const ends: number[] = [];
      for (let i = 1; i < last; i++) {
        at += buffer.write(line[i]!, at);
        if (i % 2 === 1) ends.push(at - start);
      }
      messages.push({ bytes: buffer.subarray(start, at), ends });
      if (last > 0) at += buffer.write(line[last]!, at);
    }
    const bytes = buffer.subarray(0, at);
    try {
      await this.storage.append(bytes);
      this.liveBytes += bytes.length;
      batch.forEach((w, i) => w.resolve(messages[i]!));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
