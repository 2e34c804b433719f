// One user's messages and session in lowdb files of bounded size: `meta` (when the user appeared, how many
// segments) and segments of SEGMENT_SIZE messages or so, the newest also carrying the session. Commits
// change the log in memory once the journal has them; flush() brings the changed files up to date, so
// the cost of storing a message does not grow with the user's history. A segment not yet written takes up
// to UNWRITTEN_SEGMENT_SIZE: a user who sends hundreds of messages between two checkpoints costs that
// checkpoint one new file rather than one per SEGMENT_SIZE messages (each file is a trip to the disk).
//
// How flush() writes. A file that exists is replaced (a temporary file, synced, renamed: a crash leaves the
// old or the new version, whole). A file that does not exist yet is written in place, with no temporary file,
// because nothing a crash leaves of it is ever read:
// - a new segment of a user who has files is named by no meta until it is whole: it is written before the
//   meta, and the folder is synced before the meta that names it is replaced, so its name is durable first;
// - a new user's files (the meta too) hold only turns the journal holds from the user's first message on, and
//   the journal keeps them until the checkpoint has synced every folder it wrote in (only then is its older
//   part dropped). The replay rebuilds a user whose journal lines start at message 0 from the journal alone,
//   without reading their files (journal-replay.ts): a torn meta or segment is written again, whole.
// Folders are synced once a checkpoint (UserFiles.sync, StoreLocation.syncUsers), not after each file.
import { z } from 'zod';
import type { Exchange, StoredMessage } from '../contract.ts';
import { NEW_SESSION, type Session } from '../session.ts';
import { messagesJson, StoreError, type Commit, type Follower, type InteractionWindow, type UserState } from './chat-store.ts';
import { JsonList, type JsonBytes } from './json-bytes.ts';

export const SEGMENT_SIZE = 100;
/** How far a segment that has never been written may grow: it bounds the files and the two segments kept in memory. */
export const UNWRITTEN_SEGMENT_SIZE = 10 * SEGMENT_SIZE;
// Above any segment's length: one turn never straddles two segments, so a big one may pass its size.
const POSITION_BASE = 2 ** 20;

type UserMeta = { userId: string; createdAt: string; segments: number };
/**
 * `first`: how many of the user's messages come before this segment.
 * `answers`: the clientIds answered in this segment, each with the ids of its message and replies.
 * `follower`, `window`: the user's follower state and customer-service window (newest segment), once known.
 */
type Segment = { first: number; session: Session; follower?: Follower; window?: InteractionWindow; messages: StoredMessage[]; answers: Record<string, string[]> };
/** A segment's fields but its messages, which memory keeps as their ids and their JSON (see Loaded). */
type SegmentHead = Omit<Segment, 'messages'>;

const metaSchema = z.object({ userId: z.string(), createdAt: z.string(), segments: z.number().int().min(1) });
const segmentSchema = z.object({
  first: z.number().int().min(0),
  session: z.object({ subscribed: z.boolean() }).passthrough(),
  follower: z.object({ subscribed: z.boolean(), subscribeTime: z.number(), scene: z.object({ qrScene: z.number(), qrSceneStr: z.string() }).optional() }).optional(),
  window: z.object({ kind: z.enum(['message', 'event']), at: z.number(), sent: z.number().int().min(0) }).optional(),
  messages: z.array(z.object({ id: z.string(), from: z.enum(['user', 'bot']) }).passthrough()),
  answers: z.record(z.string(), z.array(z.string())),
});

/**
 * Where one user's files are, by name, holding JSON. Writes resolve only once the contents are on disk
 * (the journal that also holds them is dropped after); a file's name is durable once its folder is synced.
 */
export type UserFiles = {
  describe: string;
  /** Whether the user has a meta file. Synchronous: a new user's answer needs no trip to the fs pool and no Error for ENOENT. */
  exists: () => boolean;
  /** The file's text, or null when there is none. */
  read: (name: string) => Promise<string | null>;
  /** Replaces a file so that a crash leaves the old or the new text, whole. */
  replace: (name: string, contents: Buffer) => Promise<void>;
  /** Writes a file in place, with no temporary file: only for files nothing reads if torn (see above). */
  create: (name: string, contents: Buffer) => Promise<void>;
  /** Makes the user's folder if needed. */
  prepare: () => Promise<void>;
  /** Syncs the user's folder now: the files created or renamed in it so far keep their names through a power cut. */
  sync: () => Promise<void>;
};

const segmentName = (n: number) => `seg-${String(n).padStart(6, '0')}`;

const damaged = (files: UserFiles, what: string) =>
  new StoreError('damaged', `This user's data (${files.describe}) is damaged (${what}) and was left as it is.`);

async function readValid<T>(files: UserFiles, name: string, schema: z.ZodType<unknown>): Promise<T | null> {
  let raw: unknown;
  try {
    const text = await files.read(name);
    if (text === null) return null;
    raw = JSON.parse(text);
  } catch (err) {
    throw damaged(files, `${name}: ${(err as Error).message}`);
  }
  if (!schema.safeParse(raw).success) throw damaged(files, `${name}: unexpected shape`);
  return raw as T;
}

/** A segment file from its messages' JSON (the journal's bytes): the same JSON.stringify would give. */
function segmentFile({ first, session, follower, window, answers }: SegmentHead, messages: JsonList): Buffer {
  const state = `${follower ? `,"follower":${JSON.stringify(follower)}` : ''}${window ? `,"window":${JSON.stringify(window)}` : ''}`;
  return Buffer.concat([Buffer.from(`{"first":${first},"session":${JSON.stringify(session)}${state},"messages":[`), messages.bytes, Buffer.from(`],"answers":${JSON.stringify(answers)}}`)]);
}

/** Writes a new user's whole history at once, in full segments (for imports and benchmarks), synced before it resolves. */
export async function writeHistory(files: UserFiles, userId: string, messages: StoredMessage[], session: Session): Promise<void> {
  await files.prepare();
  const segments = Math.max(1, Math.ceil(messages.length / SEGMENT_SIZE));
  for (let n = 0; n < segments; n++) {
    const first = n * SEGMENT_SIZE;
    const part = messages.slice(first, first + SEGMENT_SIZE);
    await files.replace(segmentName(n), segmentFile({ first, session, answers: {} }, JsonList.of(messagesJson({ messages: part }))));
  }
  // No journal holds these: the segments' names are made durable before the meta that names them.
  await files.sync();
  const createdAt = messages[0]?.createdAt ?? new Date().toISOString();
  await files.replace('meta', Buffer.from(JSON.stringify({ userId, createdAt, segments })));
  await files.sync();
}

/**
 * A segment in memory. Its messages are kept as their ids (what paging, exchanges and revisions look up) and
 * their JSON: the bytes the journal wrote, or made from the file once when it is read. The file is written
 * from these bytes, and history reads a message back from them when it asks: keeping every message as an
 * object until the checkpoint would cost the garbage collector for each one.
 */
type Loaded = {
  n: number;
  head: SegmentHead;
  ids: string[];
  json: JsonList;
  dirty: boolean;
  /** Whether its file was written before: it is then replaced, else written in place. */
  onDisk: boolean;
};

/** A segment read from its file. */
function loadedFrom(n: number, { messages, ...head }: Segment): Loaded {
  return { n, head, ids: messages.map((m) => m.id), json: JsonList.of(messagesJson({ messages })), dirty: false, onDisk: true };
}

/** Messages in order, to page through: a segment's in memory (read back from its JSON), or a file's. */
type Messages = { length: number; slice: (from: number, to: number) => StoredMessage[] };

function messagesOf({ ids, json }: Loaded): Messages {
  return {
    length: ids.length,
    slice: (from, to) => {
      const out: StoredMessage[] = [];
      for (let i = Math.max(0, from); i < Math.min(to, ids.length); i++) out.push(JSON.parse(json.text(i)) as StoredMessage);
      return out;
    },
  };
}

/** The fields that have a value: a segment keeps no `undefined` for a state a user does not have yet. */
function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class UserLog {
  /** The newest segments (at least two when there are, plus any not yet flushed), oldest first. */
  private loaded: Loaded[];
  /** The loaded exchanges by clientId: where their messages are, as segment × POSITION_BASE + index. */
  private readonly exchanges = new Map<string, number[]>();
  private metaDirty = false;
  private metaOnDisk: boolean;
  private prepared: boolean;
  private flushing = 0;

  private constructor(
    private readonly files: UserFiles,
    private readonly meta: UserMeta,
    loaded: Loaded[],
  ) {
    this.loaded = loaded;
    this.prepared = this.metaOnDisk = loaded.length > 0;
    this.indexFiles(loaded);
  }

  /** Reads a user's newest segments, or undefined for a user never seen. */
  static async open(files: UserFiles, userId: string): Promise<UserLog | undefined> {
    if (!files.exists()) return undefined;
    const meta = await readValid<UserMeta>(files, 'meta', metaSchema);
    if (!meta) return undefined;
    if (meta.userId !== userId) throw damaged(files, 'meta: belongs to another user');
    const loaded: Loaded[] = [];
    for (let n = Math.max(0, meta.segments - 2); n < meta.segments; n++) {
      const data = await readValid<Segment>(files, segmentName(n), segmentSchema);
      if (!data) throw damaged(files, `${segmentName(n)} is missing`);
      loaded.push(loadedFrom(n, data));
    }
    return new UserLog(files, meta, loaded);
  }

  /** An empty log for a new user; nothing is written until the first flush. */
  static create(files: UserFiles, userId: string, createdAt: string): UserLog {
    return new UserLog(files, { userId, createdAt, segments: 0 }, []);
  }

  get createdAt(): string {
    return this.meta.createdAt;
  }

  /** The user's state after the last turn applied. */
  get state(): UserState {
    const last = this.loaded.at(-1)?.head;
    const state: UserState = { userId: this.meta.userId, createdAt: this.meta.createdAt, session: last?.session ?? NEW_SESSION };
    if (last?.follower) state.follower = last.follower;
    if (last?.window) state.window = last.window;
    return state;
  }

  /** How many messages the user has. */
  get count(): number {
    const last = this.loaded.at(-1);
    return last ? last.head.first + last.ids.length : 0;
  }

  /** Whether memory holds changes the files do not have yet. */
  get dirty(): boolean {
    return this.metaDirty || this.loaded.some((s) => s.dirty);
  }

  /** Nothing being written or unwritten: the log may leave memory once no turn of its user waits, since its files say it all. */
  get idle(): boolean {
    return this.flushing === 0 && !this.dirty;
  }

  findExchange(clientId: string): Exchange | undefined {
    const positions = this.exchanges.get(clientId);
    if (!positions) return undefined;
    const [message, ...replies] = positions.map((at) => this.messageAt(Math.floor(at / POSITION_BASE), at % POSITION_BASE));
    return { message: message!, replies };
  }

  /**
   * Appends a turn in memory (the journal already holds it); a turn never straddles two segments.
   * `json`: the messages' JSON as the journal wrote it, copied into the segment's.
   */
  apply({ messages, session, clientId, follower, window, revised }: Commit, json: JsonBytes): void {
    const revisedAt = revised ? this.revise(revised) : [];
    const active = this.loaded.at(-1);
    const exchange = revised ? [revised, ...messages] : messages;
    const answers: Segment['answers'] = clientId ? { [clientId]: exchange.map((m) => m.id) } : {};
    if (active && active.ids.length + messages.length <= (active.onDisk ? SEGMENT_SIZE : UNWRITTEN_SEGMENT_SIZE)) {
      const head = active.head;
      const offset = active.ids.length;
      active.json.appendBytes(json);
      for (const m of messages) active.ids.push(m.id);
      head.session = session;
      if (follower) head.follower = follower;
      if (window) head.window = window;
      Object.assign(head.answers, answers);
      active.dirty = true;
      if (clientId) this.exchanges.set(clientId, [...revisedAt, ...messages.map((_, i) => active.n * POSITION_BASE + offset + i)]);
      return;
    }
    const n = this.meta.segments;
    const before = active?.head;
    const state = { follower: follower ?? before?.follower, window: window ?? before?.window };
    const head = { first: this.count, session, ...definedOnly(state), answers };
    this.loaded.push({ n, head, ids: messages.map((m) => m.id), json: JsonList.ofBytes(json), dirty: true, onDisk: false });
    this.meta.segments = n + 1;
    this.metaDirty = true;
    if (clientId) this.exchanges.set(clientId, [...revisedAt, ...messages.map((_, i) => n * POSITION_BASE + i)]);
    this.trim();
  }

  /**
   * Writes every changed segment, then the meta that names them: a crash in between leaves
   * the meta naming only complete segments, and the journal still holding the rest.
   */
  async flush(): Promise<void> {
    // What to write is decided now: turns applied while the writes run are left for the next flush.
    const segments = this.meta.segments;
    const changed = this.loaded.filter((s) => s.dirty);
    const metaChanged = this.metaDirty;
    this.flushing++;
    try {
      await this.write(changed, metaChanged ? segments : undefined);
    } finally {
      this.flushing--;
    }
    this.trim();
  }

  private async write(changed: Loaded[], segments: number | undefined): Promise<void> {
    if (!this.prepared) {
      await this.files.prepare();
      this.prepared = true;
    }
    let created = false;
    for (const segment of changed) {
      segment.dirty = false; // a turn applied while this write runs marks it again
      const file = segmentFile(segment.head, segment.json);
      try {
        if (segment.onDisk) {
          await this.files.replace(segmentName(segment.n), file);
        } else {
          await this.files.create(segmentName(segment.n), file);
          segment.onDisk = created = true;
        }
      } catch (err) {
        segment.dirty = true;
        throw err;
      }
    }
    if (segments !== undefined) {
      const meta = Buffer.from(JSON.stringify({ ...this.meta, segments }));
      if (this.metaOnDisk) {
        if (created) await this.files.sync(); // the new segments' names are durable before the meta names them
        await this.files.replace('meta', meta);
      } else {
        await this.files.create('meta', meta); // a new user: the journal holds it all (see the top)
        this.metaOnDisk = true;
      }
      if (this.meta.segments === segments) this.metaDirty = false;
    }
  }

  /** The newest `limit` messages before `before` (or the end), oldest first; undefined if `before` is unknown. */
  async history(limit: number, before?: string): Promise<StoredMessage[] | undefined> {
    if (this.meta.segments === 0) return before === undefined ? [] : undefined;
    let from = before === undefined ? this.end() : this.position(before);
    let older: StoredMessage[] | undefined;
    if (!from && before !== undefined) {
      // Not among the newest segments: look further back, newest first.
      for (let n = (this.loaded[0]?.n ?? 0) - 1; n >= 0 && !from; n--) {
        older = await this.fileMessages(n);
        const index = older.findIndex((m) => m.id === before);
        if (index >= 0) from = { n, index };
      }
      if (!from) return undefined;
    }
    const collected: StoredMessage[] = [];
    let { n, index } = from!;
    let messages: Messages = older ?? (await this.segment(n));
    while (collected.length < limit) {
      collected.unshift(...messages.slice(Math.max(0, index - (limit - collected.length)), index));
      if (--n < 0) break;
      messages = await this.segment(n);
      index = messages.length;
    }
    return collected;
  }

  /** Stores a message again in its place (it is among the loaded segments: the same turn stored it); returns where it is. */
  private revise(message: StoredMessage): number[] {
    const at = this.position(message.id);
    const segment = at && this.loaded.find((s) => s.n === at.n);
    if (!at || !segment) throw new Error(`Message ${message.id} is not among ${this.meta.userId}'s newest messages.`);
    segment.json.replace(at.index, JSON.stringify(message));
    segment.dirty = true;
    return [at.n * POSITION_BASE + at.index];
  }

  /** Keeps the newest two segments in memory, and any older one until it is written. */
  private trim(): void {
    while (this.loaded.length > 2 && !this.loaded[0]!.dirty) this.forget(this.loaded.shift()!);
  }

  /** Indexes the exchanges of the segments read from their files (a revised message may sit in the segment before). */
  private indexFiles(loaded: Loaded[]): void {
    if (loaded.every((s) => Object.keys(s.head.answers).length === 0)) return;
    const where = new Map<string, number>();
    for (const { n, ids } of loaded) ids.forEach((id, i) => where.set(id, n * POSITION_BASE + i));
    for (const { head } of loaded) {
      for (const [clientId, ids] of Object.entries(head.answers)) {
        const positions = ids.map((id) => where.get(id));
        if (positions.every((p) => p !== undefined)) this.exchanges.set(clientId, positions as number[]);
      }
    }
  }

  private forget(segment: Loaded): void {
    for (const clientId of Object.keys(segment.head.answers)) this.exchanges.delete(clientId);
  }

  /** Where message `id` is among the loaded segments, newest first: a walk, since only paging asks. */
  private position(id: string): { n: number; index: number } | undefined {
    for (let s = this.loaded.length - 1; s >= 0; s--) {
      const { n, ids } = this.loaded[s]!;
      const index = ids.indexOf(id);
      if (index >= 0) return { n, index };
    }
    return undefined;
  }

  private end(): { n: number; index: number } {
    const last = this.loaded.at(-1);
    return last ? { n: last.n, index: last.ids.length } : { n: 0, index: 0 };
  }

  private messageAt(n: number, index: number): StoredMessage {
    return JSON.parse(this.loaded.find((s) => s.n === n)!.json.text(index)) as StoredMessage;
  }

  /** A segment's messages: from memory when loaded, else read from its file. */
  private async segment(n: number): Promise<Messages> {
    const loaded = this.loaded.find((s) => s.n === n);
    return loaded ? messagesOf(loaded) : this.fileMessages(n);
  }

  private async fileMessages(n: number): Promise<StoredMessage[]> {
    const data = await readValid<Segment>(this.files, segmentName(n), segmentSchema);
    if (!data) throw damaged(this.files, `${segmentName(n)} is missing`);
    return data.messages;
  }
}
