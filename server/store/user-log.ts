// One user's messages and session in lowdb files of bounded size: `meta` (when the user appeared, how many
// segments) and segments of at most SEGMENT_SIZE messages, the newest also carrying the session. Commits
// change the log in memory once the journal has them; flush() brings the changed files up to date, so
// the cost of storing a message does not grow with the user's history.
import { Low, type Adapter } from 'lowdb';
import { z } from 'zod';
import type { Exchange, StoredMessage } from '../contract.ts';
import { NEW_SESSION, type Session } from '../session.ts';
import { StoreError, type Commit, type Follower, type InteractionWindow, type UserState } from './chat-store.ts';

export const SEGMENT_SIZE = 100;
// Above any segment's length: one turn never straddles two segments, so a big one may pass SEGMENT_SIZE.
const POSITION_BASE = 2 ** 20;

type UserMeta = { userId: string; createdAt: string; segments: number };
/**
 * `first`: how many of the user's messages come before this segment.
 * `answers`: the clientIds answered in this segment, each with the ids of its message and replies.
 * `follower`, `window`: the user's follower state and customer-service window (newest segment), once known.
 */
type Segment = { first: number; session: Session; follower?: Follower; window?: InteractionWindow; messages: StoredMessage[]; answers: Record<string, string[]> };

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
 * Where one user's files are: adapters by name, and a way to make room for them. A write must resolve
 * only once the data is durable (fsync), since the journal that also holds it is dropped after.
 */
export type UserFiles = {
  adapter: <T>(name: string) => Adapter<T>;
  prepare: () => Promise<void>;
  describe: string;
};

const segmentName = (n: number) => `seg-${String(n).padStart(6, '0')}`;

const damaged = (files: UserFiles, what: string) =>
  new StoreError('damaged', `This user's data (${files.describe}) is damaged (${what}) and was left as it is.`);

async function readValid<T>(files: UserFiles, name: string, schema: z.ZodType<unknown>): Promise<T | null> {
  let raw: unknown;
  try {
    raw = await files.adapter<unknown>(name).read();
  } catch (err) {
    throw damaged(files, `${name}: ${(err as Error).message}`);
  }
  if (raw === null) return null;
  if (!schema.safeParse(raw).success) throw damaged(files, `${name}: unexpected shape`);
  return raw as T;
}

/** Writes a new user's whole history at once, in full segments: for imports and benchmarks. */
export async function writeHistory(files: UserFiles, userId: string, messages: StoredMessage[], session: Session): Promise<void> {
  await files.prepare();
  const segments = Math.max(1, Math.ceil(messages.length / SEGMENT_SIZE));
  for (let n = 0; n < segments; n++) {
    const first = n * SEGMENT_SIZE;
    const db = new Low<Segment>(files.adapter(segmentName(n)), { first, session, messages: messages.slice(first, first + SEGMENT_SIZE), answers: {} });
    await db.write();
  }
  const createdAt = messages[0]?.createdAt ?? new Date().toISOString();
  await new Low<UserMeta>(files.adapter('meta'), { userId, createdAt, segments }).write();
}

type Loaded = { n: number; db: Low<Segment>; dirty: boolean };

/** The fields that have a value: a segment keeps no `undefined` for a state a user does not have yet. */
function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class UserLog {
  /** The newest segments (at least two when there are, plus any not yet flushed), oldest first. */
  private loaded: Loaded[];
  /** Where each loaded message is, as segment × POSITION_BASE + index: a number, not an object per message. */
  private readonly positions = new Map<string, number>();
  private readonly exchanges = new Map<string, string[]>();
  private readonly metaFile: Adapter<UserMeta>;
  private metaDirty = false;
  private prepared: boolean;
  private flushing = 0;

  private constructor(
    private readonly files: UserFiles,
    private readonly meta: UserMeta,
    loaded: Loaded[],
  ) {
    this.metaFile = files.adapter<UserMeta>('meta');
    this.loaded = loaded;
    this.prepared = loaded.length > 0;
    for (const segment of loaded) this.index(segment.n, segment.db.data, 0);
  }

  /** Reads a user's newest segments, or undefined for a user never seen. */
  static async open(files: UserFiles, userId: string): Promise<UserLog | undefined> {
    const meta = await readValid<UserMeta>(files, 'meta', metaSchema);
    if (!meta) return undefined;
    if (meta.userId !== userId) throw damaged(files, 'meta: belongs to another user');
    const loaded = [];
    for (let n = Math.max(0, meta.segments - 2); n < meta.segments; n++) {
      const data = await readValid<Segment>(files, segmentName(n), segmentSchema);
      if (!data) throw damaged(files, `${segmentName(n)} is missing`);
      loaded.push({ n, db: new Low<Segment>(files.adapter(segmentName(n)), data), dirty: false });
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
    const last = this.loaded.at(-1)?.db.data;
    const state: UserState = { userId: this.meta.userId, createdAt: this.meta.createdAt, session: last?.session ?? NEW_SESSION };
    if (last?.follower) state.follower = last.follower;
    if (last?.window) state.window = last.window;
    return state;
  }

  /** How many messages the user has. */
  get count(): number {
    const last = this.loaded.at(-1)?.db.data;
    return last ? last.first + last.messages.length : 0;
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
    const ids = this.exchanges.get(clientId);
    if (!ids) return undefined;
    const [message, ...replies] = ids.map((id) => this.messageAt(this.position(id)!));
    return { message: message!, replies };
  }

  /** Appends a turn in memory (the journal already holds it); a turn never straddles two segments. */
  apply({ messages, session, clientId, follower, window, revised }: Commit): void {
    if (revised) this.revise(revised);
    const active = this.loaded.at(-1);
    const exchange = revised ? [revised, ...messages] : messages;
    const answers = clientId ? { [clientId]: exchange.map((m) => m.id) } : {};
    if (active && active.db.data.messages.length + messages.length <= SEGMENT_SIZE) {
      const data = active.db.data;
      const offset = data.messages.length;
      data.messages.push(...messages);
      data.session = session;
      if (follower) data.follower = follower;
      if (window) data.window = window;
      Object.assign(data.answers, answers);
      active.dirty = true;
      this.index(active.n, { messages, answers }, offset);
      return;
    }
    const n = this.meta.segments;
    const before = active?.db.data;
    const state = { follower: follower ?? before?.follower, window: window ?? before?.window };
    const db = new Low<Segment>(this.files.adapter(segmentName(n)), { first: this.count, session, ...definedOnly(state), messages: [...messages], answers });
    this.loaded.push({ n, db, dirty: true });
    this.meta.segments = n + 1;
    this.metaDirty = true;
    this.index(n, { messages, answers }, 0);
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
    for (const segment of changed) {
      segment.dirty = false; // a turn applied while this write runs marks it again
      try {
        await segment.db.write();
      } catch (err) {
        segment.dirty = true;
        throw err;
      }
    }
    if (segments !== undefined) {
      await this.metaFile.write({ ...this.meta, segments });
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
        older = await this.segment(n);
        const index = older.findIndex((m) => m.id === before);
        if (index >= 0) from = { n, index };
      }
      if (!from) return undefined;
    }
    const collected: StoredMessage[] = [];
    let { n, index } = from!;
    let messages = older ?? (await this.segment(n));
    while (collected.length < limit) {
      collected.unshift(...messages.slice(Math.max(0, index - (limit - collected.length)), index));
      if (--n < 0) break;
      messages = await this.segment(n);
      index = messages.length;
    }
    return collected;
  }

  /** Stores a message again in its place (it is among the loaded segments: the same turn stored it). */
  private revise(message: StoredMessage): void {
    const at = this.position(message.id);
    const segment = at && this.loaded.find((s) => s.n === at.n);
    if (!at || !segment) throw new Error(`Message ${message.id} is not among ${this.meta.userId}'s newest messages.`);
    segment.db.data.messages[at.index] = message;
    segment.dirty = true;
  }

  /** Keeps the newest two segments in memory, and any older one until it is written. */
  private trim(): void {
    while (this.loaded.length > 2 && !this.loaded[0]!.dirty) this.forget(this.loaded.shift()!);
  }

  private index(n: number, { messages, answers }: Pick<Segment, 'messages' | 'answers'>, offset: number): void {
    for (let i = 0; i < messages.length; i++) this.positions.set(messages[i]!.id, n * POSITION_BASE + offset + i);
    for (const [clientId, ids] of Object.entries(answers)) this.exchanges.set(clientId, ids);
  }

  private forget(segment: Loaded): void {
    for (const m of segment.db.data.messages) this.positions.delete(m.id);
    for (const clientId of Object.keys(segment.db.data.answers)) this.exchanges.delete(clientId);
  }

  private position(id: string): { n: number; index: number } | undefined {
    const at = this.positions.get(id);
    return at === undefined ? undefined : { n: Math.floor(at / POSITION_BASE), index: at % POSITION_BASE };
  }

  private end(): { n: number; index: number } {
    const last = this.loaded.at(-1);
    return last ? { n: last.n, index: last.db.data.messages.length } : { n: 0, index: 0 };
  }

  private messageAt({ n, index }: { n: number; index: number }): StoredMessage {
    return this.loaded.find((s) => s.n === n)!.db.data.messages[index]!;
  }

  /** A segment's messages: from memory when loaded, else read from its file. */
  private async segment(n: number): Promise<StoredMessage[]> {
    const loaded = this.loaded.find((s) => s.n === n);
    if (loaded) return loaded.db.data.messages;
    const data = await readValid<Segment>(this.files, segmentName(n), segmentSchema);
    if (!data) throw damaged(this.files, `${segmentName(n)} is missing`);
    return data.messages;
  }
}
