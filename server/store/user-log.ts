// One user's messages and session in lowdb files of bounded size: `meta` (when the user appeared, how many
// segments) and segments of at most SEGMENT_SIZE messages. Storing a message rewrites only the newest
// segment, so its cost does not grow with the user's history; the segment also carries the session.
import { Low, type Adapter } from 'lowdb';
import { z } from 'zod';
import type { Exchange, StoredMessage } from '../contract.ts';
import type { Session } from '../bot/engine.ts';
import { AppError } from '../errors.ts';
import type { Commit } from './chat-store.ts';

export const SEGMENT_SIZE = 100;

export type UserMeta = { userId: string; createdAt: string; segments: number };
/** `answers`: the clientIds answered in this segment, each with the ids of its message and replies. */
export type Segment = { session: Session; messages: StoredMessage[]; answers: Record<string, string[]> };

const metaSchema = z.object({ userId: z.string(), createdAt: z.string(), segments: z.number().int().min(1) });
const segmentSchema = z.object({
  session: z.object({ subscribed: z.boolean() }).passthrough(),
  messages: z.array(z.object({ id: z.string(), from: z.enum(['user', 'bot']) }).passthrough()),
  answers: z.record(z.string(), z.array(z.string())),
});

/** Where one user's files are: adapters by name, and a way to make room for them. */
export type UserFiles = {
  adapter: <T>(name: string) => Adapter<T>;
  prepare: () => Promise<void>;
  describe: string;
};

export const segmentName = (n: number) => `seg-${String(n).padStart(6, '0')}`;

const damaged = (files: UserFiles, what: string) =>
  new AppError('storage_unavailable', `This user's data (${files.describe}) is damaged (${what}) and was left as it is.`);

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
    const db = new Low<Segment>(files.adapter(segmentName(n)), { session, messages: messages.slice(n * SEGMENT_SIZE, (n + 1) * SEGMENT_SIZE), answers: {} });
    await db.write();
  }
  const createdAt = messages[0]?.createdAt ?? new Date().toISOString();
  await new Low<UserMeta>(files.adapter('meta'), { userId, createdAt, segments }).write();
}

export class UserLog {
  /** The newest segments (at most two), oldest first; together they are the window for resends. */
  private loaded: Array<{ n: number; db: Low<Segment> }>;
  private readonly positions = new Map<string, { n: number; index: number }>();
  private readonly exchanges = new Map<string, string[]>();
  /** Writes in progress; a busy log must not be dropped from the cache. */
  pending = 0;

  private constructor(
    private readonly files: UserFiles,
    private readonly meta: Low<UserMeta>,
    loaded: Array<{ n: number; db: Low<Segment> }>,
  ) {
    this.loaded = loaded;
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
      loaded.push({ n, db: new Low<Segment>(files.adapter(segmentName(n)), data) });
    }
    return new UserLog(files, new Low<UserMeta>(files.adapter('meta'), meta), loaded);
  }

  /** An empty log for a new user; nothing is written until the first commit. */
  static create(files: UserFiles, userId: string, createdAt: string): UserLog {
    const meta = new Low<UserMeta>(files.adapter('meta'), { userId, createdAt, segments: 0 });
    return new UserLog(files, meta, []);
  }

  get createdAt(): string {
    return this.meta.data.createdAt;
  }

  get session(): Session {
    return this.loaded.at(-1)?.db.data.session ?? { subscribed: false };
  }

  findExchange(clientId: string): Exchange | undefined {
    const ids = this.exchanges.get(clientId);
    if (!ids) return undefined;
    const [message, ...replies] = ids.map((id) => this.messageAt(this.positions.get(id)!));
    return { message: message!, replies };
  }

  /** Appends a turn; resolves once it is on disk, and leaves nothing of it behind when it fails. */
  async commit({ messages, session, clientId }: Commit): Promise<void> {
    const active = this.loaded.at(-1);
    const answers = clientId ? { [clientId]: messages.map((m) => m.id) } : {};
    this.pending++;
    try {
      if (active && active.db.data.messages.length + messages.length <= SEGMENT_SIZE) {
        await this.appendTo(active, messages, session, answers);
      } else {
        await this.startSegment(messages, session, answers);
      }
    } finally {
      this.pending--;
    }
  }

  /** The newest `limit` messages before `before` (or the end), oldest first; undefined if `before` is unknown. */
  async history(limit: number, before?: string): Promise<StoredMessage[] | undefined> {
    if (this.meta.data.segments === 0) return before === undefined ? [] : undefined;
    let from = before === undefined ? this.end() : this.positions.get(before);
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

  private async appendTo(active: { n: number; db: Low<Segment> }, messages: StoredMessage[], session: Session, answers: Segment['answers']): Promise<void> {
    const data = active.db.data;
    const { length } = data.messages;
    const previousSession = data.session;
    data.messages.push(...messages);
    data.session = session;
    Object.assign(data.answers, answers);
    try {
      await active.db.write();
    } catch (err) {
      data.messages.length = length;
      data.session = previousSession;
      for (const clientId of Object.keys(answers)) delete data.answers[clientId];
      throw unwritten(err);
    }
    this.index(active.n, { messages, answers }, length);
  }

  private async startSegment(messages: StoredMessage[], session: Session, answers: Segment['answers']): Promise<void> {
    const n = this.meta.data.segments;
    const db = new Low<Segment>(this.files.adapter(segmentName(n)), { session, messages: [...messages], answers });
    try {
      if (n === 0) await this.files.prepare();
      // The segment first: a crash before the meta names it leaves only an unacknowledged file, overwritten later.
      await db.write();
      this.meta.data.segments = n + 1;
      await this.meta.write();
    } catch (err) {
      this.meta.data.segments = n;
      throw unwritten(err);
    }
    this.loaded.push({ n, db });
    this.index(n, { messages, answers }, 0);
    if (this.loaded.length > 2) this.forget(this.loaded.shift()!);
  }

  private index(n: number, { messages, answers }: Pick<Segment, 'messages' | 'answers'>, offset: number): void {
    messages.forEach((m, i) => this.positions.set(m.id, { n, index: offset + i }));
    for (const [clientId, ids] of Object.entries(answers)) this.exchanges.set(clientId, ids);
  }

  private forget(segment: { n: number; db: Low<Segment> }): void {
    for (const m of segment.db.data.messages) this.positions.delete(m.id);
    for (const clientId of Object.keys(segment.db.data.answers)) this.exchanges.delete(clientId);
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

function unwritten(err: unknown): AppError {
  const code = (err as NodeJS.ErrnoException).code ?? 'write failed';
  return new AppError('storage_unavailable', `The message could not be stored (${code}); it was not sent. Try again.`);
}
