// The lowdb store: one small file for rules, one file per user for that user's messages and session,
// so that storing a message costs the same however many other users and messages the store holds.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Low, Memory, type Adapter } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { z } from 'zod';
import type { Exchange, StoredMessage } from '../contract.ts';
import { ruleSchema, type Rule } from '../content/rules.ts';
import { AppError } from '../errors.ts';
import type { Session } from '../bot/engine.ts';
import { StoreError, type ChatStore, type Commit, type UserState } from './chat-store.ts';

type MainData = { version: 1; rules: Rule[] };
type UserData = UserState & { messages: StoredMessage[]; answers: Record<string, string[]> };

const mainSchema = z.object({ version: z.literal(1), rules: z.array(ruleSchema) });
const userSchema = z.object({
  userId: z.string(),
  createdAt: z.string(),
  session: z.object({ subscribed: z.boolean() }).passthrough(),
  messages: z.array(z.object({ id: z.string() }).passthrough()),
  answers: z.record(z.string(), z.array(z.string())),
});

/** Where the data lives: adapters for the main file and for each user's file. */
export type StoreLocation = {
  describe: (name: string) => string;
  adapter: <T>(name: string) => Adapter<T>;
  prepare: () => Promise<void>;
};

/** Files next to `dbFile`: `db.json` and `db.users/<hash of the user id>.json`. No path is built from input. */
export function fileLocation(dbFile: string): StoreLocation {
  const usersDir = `${dbFile.replace(/\.json$/i, '')}.users`;
  const fileOf = (name: string) => (name === 'main' ? dbFile : path.join(usersDir, `${name}.json`));
  return {
    describe: fileOf,
    adapter: <T>(name: string) => new JSONFile<T>(fileOf(name)),
    prepare: async () => {
      await mkdir(path.dirname(dbFile), { recursive: true });
      await mkdir(usersDir, { recursive: true });
    },
  };
}

/** Everything in memory, for tests and throwaway runs. */
export function memoryLocation(): StoreLocation {
  const adapters = new Map<string, Adapter<unknown>>();
  return {
    describe: (name) => `memory:${name}`,
    adapter: <T>(name: string) => {
      if (!adapters.has(name)) adapters.set(name, new Memory<unknown>());
      return adapters.get(name) as Adapter<T>;
    },
    prepare: async () => {},
  };
}

/** A user's file, with an id → position index so resends and `before` look-ups need no scan. */
class UserShard {
  readonly positions = new Map<string, number>();
  constructor(readonly db: Low<UserData>) {
    db.data.messages.forEach((m, i) => this.positions.set(m.id, i));
  }
}

const MAX_CACHED_USERS = 2000;

export class LowStore implements ChatStore {
  private main?: Low<MainData>;
  private readonly shards = new Map<string, Promise<UserShard | undefined>>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly location: StoreLocation) {}

  async open(seedRules: Rule[]): Promise<void> {
    await this.location.prepare();
    const db = new Low<MainData>(this.location.adapter<MainData>('main'), { version: 1, rules: seedRules });
    const file = this.location.describe('main');
    const raw = await this.readOrFail(file, () => this.location.adapter<unknown>('main').read());
    if (raw === null) {
      await db.write(); // a new store: seed the rules
    } else {
      const parsed = mainSchema.safeParse(raw);
      if (!parsed.success) throw new StoreError(file, `not a store file of this version (${parsed.error.issues[0]?.path.join('.') || 'top level'}: ${parsed.error.issues[0]?.message})`);
      db.data = parsed.data as MainData;
    }
    this.main = db;
  }

  async getUser(userId: string): Promise<UserState | undefined> {
    const shard = await this.shard(userId);
    if (!shard) return undefined;
    const { createdAt, session } = shard.db.data;
    return { userId, createdAt, session };
  }

  async findExchange(userId: string, clientId: string): Promise<Exchange | undefined> {
    const shard = await this.shard(userId);
    const ids = shard?.db.data.answers[clientId];
    if (!shard || !ids) return undefined;
    const [message, ...replies] = ids.map((id) => shard.db.data.messages[shard.positions.get(id)!]!);
    return { message: message!, replies };
  }

  async commit(userId: string, { messages, session, clientId }: Commit): Promise<void> {
    const existing = await this.shard(userId);
    const shard = existing ?? this.createShard(userId, messages[0]?.createdAt);
    const data = shard.db.data;
    const before = { session: data.session, length: data.messages.length };
    data.messages.push(...messages);
    data.session = session;
    if (clientId) data.answers[clientId] = messages.map((m) => m.id);
    try {
      await this.track(shard.db.write());
    } catch (err) {
      // Undo in memory what did not reach the disk, so nothing unstored is ever served.
      data.messages.length = before.length;
      data.session = before.session;
      if (clientId) delete data.answers[clientId];
      if (!existing) this.shards.delete(userId);
      throw new AppError('storage_unavailable', `The message could not be stored (${(err as NodeJS.ErrnoException).code ?? 'write failed'}); it was not sent. Try again.`);
    }
    messages.forEach((m, i) => shard.positions.set(m.id, before.length + i));
  }

  async history(userId: string, { limit, before }: { limit: number; before?: string }): Promise<StoredMessage[] | undefined> {
    const shard = await this.shard(userId);
    if (!shard) return before ? undefined : [];
    const end = before === undefined ? shard.db.data.messages.length : shard.positions.get(before);
    if (end === undefined) return undefined;
    return shard.db.data.messages.slice(Math.max(0, end - limit), end);
  }

  rules(): Rule[] {
    return this.requireMain().data.rules;
  }

  async saveRules(rules: Rule[]): Promise<void> {
    const db = this.requireMain();
    const previous = db.data.rules;
    db.data.rules = rules;
    try {
      await this.track(db.write());
    } catch (err) {
      db.data.rules = previous;
      throw new AppError('storage_unavailable', `The rules could not be stored (${(err as NodeJS.ErrnoException).code ?? 'write failed'}).`);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private requireMain(): Low<MainData> {
    if (!this.main) throw new Error('The store is not open; call open() first.');
    return this.main;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    return promise.finally(() => this.pending.delete(promise));
  }

  private async readOrFail<T>(file: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      throw new StoreError(file, err instanceof SyntaxError ? `not valid JSON (${err.message})` : `cannot be read (${(err as Error).message})`);
    }
  }

  private shardName(userId: string): string {
    return createHash('sha256').update(userId).digest('hex').slice(0, 40);
  }

  private shard(userId: string): Promise<UserShard | undefined> {
    let loading = this.shards.get(userId);
    if (!loading) {
      loading = this.loadShard(userId);
      this.shards.set(userId, loading);
      loading.catch(() => this.shards.delete(userId));
      this.evictIfFull();
    }
    return loading;
  }

  private async loadShard(userId: string): Promise<UserShard | undefined> {
    const name = this.shardName(userId);
    const adapter = this.location.adapter<UserData>(name);
    const file = this.location.describe(name);
    let raw: unknown;
    try {
      raw = await adapter.read();
    } catch (err) {
      throw new AppError('storage_unavailable', `This user's data (${path.basename(file)}) cannot be read: ${(err as Error).message}`);
    }
    if (raw === null) return undefined;
    const parsed = userSchema.safeParse(raw);
    if (!parsed.success || parsed.data.userId !== userId) {
      throw new AppError('storage_unavailable', `This user's data (${path.basename(file)}) is damaged and was left as it is.`);
    }
    return new UserShard(new Low<UserData>(adapter, raw as UserData));
  }

  private createShard(userId: string, createdAt = new Date().toISOString()): UserShard {
    const name = this.shardName(userId);
    const data: UserData = { userId, createdAt, session: { subscribed: false } as Session, messages: [], answers: {} };
    const shard = new UserShard(new Low<UserData>(this.location.adapter<UserData>(name), data));
    this.shards.set(userId, Promise.resolve(shard));
    return shard;
  }

  /** Forgets the least recently loaded users; their files stay, and are read again when needed. */
  private evictIfFull(): void {
    for (const userId of this.shards.keys()) {
      if (this.shards.size <= MAX_CACHED_USERS) break;
      this.shards.delete(userId);
    }
  }
}
