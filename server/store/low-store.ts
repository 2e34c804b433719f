// The lowdb store: one small file for the rules, and for each user a folder of small files (user-log.ts),
// so storing a message costs the same however many users and messages the store holds, and start-up
// reads only the rules.
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
import { UserLog, writeHistory, type UserFiles } from './user-log.ts';

type MainData = { version: 1; rules: Rule[] };

const mainSchema = z.object({ version: z.literal(1), rules: z.array(ruleSchema) });

/** Where the data lives: the main file's adapter, and each user's files. */
export type StoreLocation = {
  describe: string;
  main: () => Adapter<unknown>;
  user: (key: string) => UserFiles;
  prepare: () => Promise<void>;
};

/** Files next to `dbFile`: `db.json`, and `db.users/<hash of the user id>/`. No path is built from input. */
export function fileLocation(dbFile: string): StoreLocation {
  const usersDir = `${dbFile.replace(/\.json$/i, '')}.users`;
  return {
    describe: dbFile,
    main: () => new JSONFile<unknown>(dbFile),
    user: (key) => {
      const dir = path.join(usersDir, key);
      return {
        describe: path.join(path.basename(usersDir), key),
        adapter: <T>(name: string) => new JSONFile<T>(path.join(dir, `${name}.json`)),
        prepare: async () => void (await mkdir(dir, { recursive: true })),
      };
    },
    prepare: async () => {
      await mkdir(path.dirname(dbFile), { recursive: true });
      await mkdir(usersDir, { recursive: true });
    },
  };
}

/** Everything in memory, for tests and throwaway runs. */
export function memoryLocation(): StoreLocation {
  const adapters = new Map<string, Adapter<unknown>>();
  const adapter = <T>(name: string) => {
    if (!adapters.has(name)) adapters.set(name, new Memory<unknown>());
    return adapters.get(name) as Adapter<T>;
  };
  return {
    describe: 'memory',
    main: () => adapter('main'),
    user: (key) => ({ describe: `memory:${key}`, adapter: <T>(name: string) => adapter<T>(`${key}/${name}`), prepare: async () => {} }),
    prepare: async () => {},
  };
}

const MAX_CACHED_USERS = 1000;

export class LowStore implements ChatStore {
  private main?: Low<MainData>;
  private readonly logs = new Map<string, Promise<UserLog | undefined>>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly location: StoreLocation) {}

  async open(seedRules: Rule[]): Promise<void> {
    await this.location.prepare();
    const file = this.location.describe;
    let raw: unknown;
    try {
      raw = await this.location.main().read();
    } catch (err) {
      throw new StoreError(file, err instanceof SyntaxError ? `not valid JSON (${err.message})` : `cannot be read (${(err as Error).message})`);
    }
    const db = new Low<MainData>(this.location.main() as Adapter<MainData>, { version: 1, rules: seedRules });
    if (raw === null) {
      await db.write(); // a new store: seed the rules
    } else {
      const parsed = mainSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new StoreError(file, `not a store file of this version (${issue?.path.join('.') || 'top level'}: ${issue?.message})`);
      }
      db.data = parsed.data as MainData;
    }
    this.main = db;
  }

  async getUser(userId: string): Promise<UserState | undefined> {
    const log = await this.log(userId);
    return log && { userId, createdAt: log.createdAt, session: log.session };
  }

  async findExchange(userId: string, clientId: string): Promise<Exchange | undefined> {
    return (await this.log(userId))?.findExchange(clientId);
  }

  async commit(userId: string, commit: Commit): Promise<void> {
    const existing = await this.log(userId);
    const log = existing ?? UserLog.create(this.filesOf(userId), userId, commit.messages[0]?.createdAt ?? new Date().toISOString());
    if (!existing) this.logs.set(userId, Promise.resolve(log));
    try {
      await this.track(log.commit(commit));
    } catch (err) {
      if (!existing) this.logs.delete(userId);
      throw err;
    }
  }

  async history(userId: string, { limit, before }: { limit: number; before?: string }): Promise<StoredMessage[] | undefined> {
    const log = await this.log(userId);
    if (!log) return before ? undefined : [];
    return log.history(limit, before);
  }

  /** Writes a new user's whole history in one go (imports, benchmarks); refuses a user who exists. */
  async importHistory(userId: string, messages: StoredMessage[], session: Session): Promise<void> {
    if (await this.log(userId)) throw new AppError('conflict', `User "${userId}" exists already.`);
    this.logs.delete(userId); // "not found" must not stay cached
    await writeHistory(this.filesOf(userId), userId, messages, session);
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

  private filesOf(userId: string): UserFiles {
    return this.location.user(createHash('sha256').update(userId).digest('hex').slice(0, 40));
  }

  /** A user's log, read once and then kept, most recently used last. */
  private log(userId: string): Promise<UserLog | undefined> {
    let loading = this.logs.get(userId);
    if (loading) {
      this.logs.delete(userId);
    } else {
      loading = UserLog.open(this.filesOf(userId), userId);
      loading.catch(() => this.logs.delete(userId));
    }
    this.logs.set(userId, loading);
    void this.evictIdle();
    return loading;
  }

  /** Forgets the least recently used users beyond the limit; never one whose write is in progress. */
  private async evictIdle(): Promise<void> {
    if (this.logs.size <= MAX_CACHED_USERS) return;
    for (const [userId, loading] of this.logs) {
      if (this.logs.size <= MAX_CACHED_USERS) break;
      const log = await loading.catch(() => undefined);
      if (this.logs.get(userId) !== loading) continue;
      if (!log || log.pending === 0) this.logs.delete(userId);
    }
  }
}
