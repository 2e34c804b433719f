// The Redis store: every process behind a load balancer shares one Redis, so history, sessions, clientIds,
// rules, media and platform records are the same whichever process answers. Each user has a hash (createdAt,
// session, follower, window), a list of messages in order, a hash of message id → position (paging by id) and a hash of
// clientId → exchange; a turn is committed by one script (redis/scripts.ts), so it is stored whole or not at all.
// Keys that a script touches together share a hash tag (`{id}`, `{rules}`, `{media}`): one slot on a Redis Cluster.
// A commit resolves once Redis has applied it; how durable that is depends on Redis's persistence (docs/scale-out.md).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ApiCall, Exchange, StoredMessage } from '../contract.ts';
import { DEFAULT_MEDIA_QUOTA_BYTES, MEDIA_LIFETIME_MS } from '../media.ts';
import { ruleSchema, type Rule } from '../content/rules.ts';
import { API_CALLS_KIND } from './api-call-log.ts';
import { messagesJson, StoreError, type ChatStore, type Commit, type Committed, type MediaRecord, type OpenedTurn, type Records, type UserState } from './chat-store.ts';
import { closeClient, commandClient, connect, describeRedis, messageClient, reportOutages, scanAll, type RedisClient } from './redis/connection.ts';
import { recordOfValue } from './legacy-values.ts';
import { literal, RedisRecords } from './redis/records.ts';
import { Batch } from './redis/batches.ts';
import { commitTurns, countWatcher, defineScripts, historyPage, openTurn, putMedia, saveRules, seedRules } from './redis/scripts.ts';
import { DEFAULT_LOCK, LockTimeout, UserLocks, type LockSettings, type UserFields } from './redis/user-lock.ts';

export type RedisStoreOptions = {
  /** One Redis, or (with `cluster`) one or more nodes of a Redis Cluster, comma-separated. */
  url: string;
  /** Whether `url` names nodes of a Redis Cluster (REDIS_CLUSTER=1). */
  cluster?: boolean;
  /** Put in front of every key, so several simulators (or tests) can share one Redis. */
  prefix?: string;
  lock?: Partial<LockSettings>;
  /** Told about outages and reconnections. */
  warn?: (message: string, err?: unknown) => void;
  /** The bytes of live media kept at most (MEDIA_QUOTA_MB), counted across every process. */
  mediaQuotaBytes?: number;
  /** The clock media lifetimes are measured with; tests pass their own. */
  now?: () => number;
};

const rulesSchema = z.array(ruleSchema);

/** A turn's commit as commitTurns takes it: its six keys, and its values (COMMIT_HEADER of them, then the ids and the messages). */
type TurnWrite = { keys: string[]; args: Array<string | number> };

/** The turns one commit script stores at most: a script runs alone in Redis, so a flood of commits is cut into several. */
const COMMITS_A_SCRIPT = 64;

/** Anything Redis refused or did not answer in time: the client may send it again (with its clientId). */
function unavailable(what: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const reason = err instanceof LockTimeout ? err.message : /FENCED/.test(String(err)) ? 'this turn took too long and another process took the user over' : (err as Error).message;
  return new StoreError('unavailable', `${what} could not be stored (${reason}); try again.`);
}

export class RedisStore implements ChatStore {
  private readonly redis: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly prefix: string;
  private readonly locks: UserLocks;
  private readonly url: string;
  private readonly mediaQuotaBytes: number;
  private readonly now: () => number;
  private cachedRules: Rule[] = [];
  private rulesVersion = 0;
  private readonly listeners = new Set<(rules: Rule[]) => void>();
  private readonly recordListeners = new Set<(kind: string, key: string) => void>();
  private readonly shelf: RedisRecords;
  /**
   * The user's fields the lock script read as it took the lock, kept until the turn's first openTurn (or its
   * first commit, or its end): a turn's opening read rides on the lock's round trip.
   */
  private readonly readWithLock = new Map<string, UserFields>();
  private readonly clustered: boolean;
  /** This store among those sharing the Redis: the field its sockets are counted under in each user's watchers, and its lock tokens' prefix. */
  private readonly id = randomBytes(9).toString('base64url');
  /**
   * Commits made together go as one script: many users' turns resume from one reply (their locks, their rate
   * limits) and commit in the same run of microtasks, which process.nextTick waits for. Alone on a cluster.
   */
  private readonly commits: Batch<TurnWrite, boolean>;

  constructor(options: RedisStoreOptions) {
    this.url = options.url;
    this.prefix = options.prefix ?? 'oa:';
    this.mediaQuotaBytes = options.mediaQuotaBytes ?? DEFAULT_MEDIA_QUOTA_BYTES;
    this.now = options.now ?? Date.now;
    const address = { url: options.url, cluster: options.cluster };
    this.clustered = options.cluster ?? false;
    this.redis = commandClient(address, 'store');
    defineScripts(this.redis);
    this.commits = new Batch((turns) => this.commitAll(turns), process.nextTick, this.clustered ? 1 : COMMITS_A_SCRIPT);
    this.locks = new UserLocks(this.redis, { ...DEFAULT_LOCK, ...options.lock, clustered: this.clustered }, this.id);
    this.subscriber = messageClient(address, 'rule-notices');
    const warn = options.warn ?? (() => {});
    reportOutages(this.redis, warn);
    reportOutages(this.subscriber, () => {}); // the same outage, reported once above
    this.shelf = new RedisRecords(this.redis, this.prefix, (kind, key) => this.redis.publish(this.recordsChannel, JSON.stringify([kind, key])).then(() => undefined, () => undefined));
  }

  private key(name: string, id?: string): string {
    // The id in braces: a hash tag, so one user's keys would share a slot on a Redis Cluster.
    return id === undefined ? `${this.prefix}${name}` : `${this.prefix}${name}:{${id}}`;
  }

  private get rulesKeys(): string[] {
    return [this.key('rules', 'rules'), this.key('rules-version', 'rules')];
  }

  /** A media file's hash, in the slot of the quota's counters, which the same script changes. */
  private mediaKey(mediaId: string): string {
    return `${this.key('media', 'media')}:${mediaId}`;
  }

  private get channel(): string {
    return this.key('rules-changed');
  }

  private get recordsChannel(): string {
    return this.key('records-changed');
  }

  async open(seed: Rule[]): Promise<void> {
    const where = describeRedis(this.url);
    try {
      await connect(this.redis, this.url);
      await connect(this.subscriber, this.url);
    } catch (err) {
      throw new StoreError('unavailable', `${where}: ${(err as Error).message}`);
    }
    this.subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.channel && Number(payload) > this.rulesVersion) void this.reloadRules().catch(() => undefined);
      if (channel === this.recordsChannel) {
        const [kind, key] = JSON.parse(payload) as [string, string];
        for (const listener of this.recordListeners) listener(kind, key);
      }
    });
    await this.subscriber.subscribe(this.channel, this.recordsChannel);
    await this.moveUntaggedKeys();
    const [json, version] = (await seedRules(this.redis, this.rulesKeys, [JSON.stringify(seed)])) as [string, string];
    this.useRules(this.parseRules(json, where), Number(version));
    await this.moveLegacyValues();
    await this.moveApiCalls();
  }

  /** Moves the list of API calls an earlier version kept (`<prefix>api-calls`) into records, then deletes it. */
  private async moveApiCalls(): Promise<void> {
    const list = this.key('api-calls');
    const calls = await this.read('The earlier API calls', () => this.redis.lrange(list, 0, -1));
    const records = this.records<ApiCall>(API_CALLS_KIND);
    for (const json of calls) {
      const call = JSON.parse(json) as ApiCall;
      await records.put(call.id, call);
    }
    // Only once every call is a record: a crash before moves them again, to the same keys.
    if (calls.length) await this.read('The earlier API calls', () => this.redis.del(list));
  }

  /** Moves the `value:{key}` keys an earlier version kept into records, with what is left of their time to live. */
  private async moveLegacyValues(): Promise<void> {
    const start = this.key('value', '').slice(0, -1); // `<prefix>value:{`, without the closing brace
    for (const name of await this.read('The earlier values', () => scanAll(this.redis, `${literal(start)}*}`))) {
      const [json, ttlMs] = await this.read('An earlier value', () => Promise.all([this.redis.get(name), this.redis.pttl(name)]));
      if (json !== null && ttlMs !== -2) {
        const { kind, key } = recordOfValue(name.slice(start.length, -1));
        await this.records(kind).put(key, JSON.parse(json), ttlMs > 0 ? { ttlMs } : {});
      }
      // Only once its record is written: a crash before this leaves the value to move again at the next open.
      await this.read('An earlier value', () => this.redis.del(name));
    }
  }

  /**
   * Renames the keys an earlier version kept without a hash tag (the rules, the media and their quota) to
   * their tagged names. Only a single Redis can hold them (their scripts never ran on a cluster), where RENAME
   * is atomic; a key already under its new name is left alone, and one that another process starting at the
   * same time moved first is skipped. The list of live media goes last, so a crash half-way is finished at the next open.
   */
  private async moveUntaggedKeys(): Promise<void> {
    const live = await this.read('The earlier media', () => this.redis.zrange(this.key('media-live'), '0', '-1'));
    const moves: Array<[string, string]> = [
      [this.key('rules'), this.rulesKeys[0]!],
      [this.key('rules-version'), this.rulesKeys[1]!],
      ...live.map((member): [string, string] => {
        const mediaId = member.slice(0, member.lastIndexOf(':')); // "id:size"
        return [this.key('media', mediaId), this.mediaKey(mediaId)];
      }),
      [this.key('media-bytes'), this.key('media-bytes', 'media')],
      [this.key('media-live'), this.key('media-live', 'media')],
    ];
    for (const [from, to] of moves) {
      if (!(await this.read('An earlier key', () => this.redis.exists(from)))) continue; // the usual case, and always on a cluster
      await this.read('An earlier key', () => this.redis.renamenx(from, to).catch((err: Error) => (/no such key/i.test(err.message) ? 0 : Promise.reject(err))));
    }
  }

  async openTurn(userId: string, clientId?: string): Promise<OpenedTurn> {
    const withLock = this.readWithLock.get(userId);
    this.readWithLock.delete(userId);
    let fields: Array<string | null>;
    if (!withLock) fields = (await this.read('The user', () => openTurn(this.redis, [this.key('user', userId), this.key('answers', userId)], [clientId ?? '']))) as Array<string | null>;
    else fields = [...withLock, clientId ? await this.read('The user', () => this.redis.hget(this.key('answers', userId), clientId)) : null];
    const [createdAt, session, follower, window, exchange] = fields;
    const opened: OpenedTurn = {};
    if (createdAt && session) {
      const user: UserState = { userId, createdAt, session: JSON.parse(session) };
      if (follower) user.follower = JSON.parse(follower);
      if (window) user.window = JSON.parse(window);
      opened.user = user;
    }
    if (exchange) opened.earlier = JSON.parse(exchange) as Exchange;
    return opened;
  }

  async commit(userId: string, { messages, json: made, session, clientId, follower, window, revised, endsTurn }: Commit): Promise<Committed> {
    this.readWithLock.delete(userId); // what the lock read is stale from here on
    const lease = this.locks.leaseOf(this.key('lock', userId));
    const json = messagesJson({ messages, json: made });
    // The exchange as findExchange answers it, spliced from the messages' JSON.
    const exchange = clientId ? `{"message":${revised ? JSON.stringify(revised) : json[0]},"replies":[${(revised ? json : json.slice(1)).join(',')}]}` : '';
    const keys = [this.key('user', userId), this.key('messages', userId), this.key('positions', userId), this.key('answers', userId), this.key('lock', userId), this.key('watchers', userId)];
    const createdAt = messages[0]?.createdAt ?? new Date().toISOString();
    const state = [follower ? JSON.stringify(follower) : '', window ? JSON.stringify(window) : '', revised?.id ?? '', revised ? JSON.stringify(revised) : ''];
    const releases = endsTurn && lease ? '1' : '';
    const args = [lease?.token ?? '', createdAt, JSON.stringify(session), clientId ?? '', exchange, ...state, releases, messages.length, ...messages.map((m) => m.id), ...json];
    let elsewhere: boolean;
    try {
      elsewhere = await this.commits.add({ keys, args });
    } catch (err) {
      throw unavailable('The message', err);
    }
    if (releases) lease!.released = true;
    return { elsewhere };
  }

  /** One script for the turns: each is stored or refused on its own (a refused one gets its error). */
  private async commitAll(turns: TurnWrite[]): Promise<Array<boolean | Error>> {
    const answers = (await commitTurns(this.redis, turns.flatMap((t) => t.keys), [this.id, ...turns.flatMap((t) => t.args)])) as Array<string | number>;
    return turns.map((_, i) => (answers[2 * i] ? new Error(String(answers[2 * i])) : answers[2 * i + 1] === 1));
  }

  /**
   * Counts a socket of the user open here, in the user's watchers hash, which commits read. A process that dies
   * with sockets open leaves its count behind: the user's turns elsewhere then publish to nobody, as every turn
   * did before watchers were counted, which costs a publish and nothing more.
   */
  watch(userId: string): Promise<void> {
    return this.countSocket(userId, 1);
  }

  unwatch(userId: string): Promise<void> {
    return this.countSocket(userId, -1);
  }

  private async countSocket(userId: string, change: 1 | -1): Promise<void> {
    try {
      await countWatcher(this.redis, [this.key('watchers', userId)], [this.id, change]);
    } catch (err) {
      throw new StoreError('unavailable', `The user's open windows could not be counted (${(err as Error).message}); try again.`);
    }
  }

  async history(userId: string, { limit, before }: { limit: number; before?: string }): Promise<StoredMessage[] | undefined> {
    const page = await this.read('The history', () => historyPage(this.redis, [this.key('messages', userId), this.key('positions', userId)], [limit, before ?? '']));
    return page === null ? undefined : (page as string[]).map((json) => JSON.parse(json) as StoredMessage);
  }

  /** The rules as this process last read them; a change anywhere reaches it by notice within moments, and before its next turn. */
  rules(): Rule[] {
    return this.cachedRules;
  }

  async saveRules(rules: Rule[]): Promise<void> {
    try {
      const version = await saveRules(this.redis, this.rulesKeys, [JSON.stringify(rules), this.channel]);
      this.useRules(rules, Number(version), false);
    } catch (err) {
      throw unavailable('The rules', err);
    }
  }

  /** Calls `listener` with the rules whenever another process changed them. */
  onRulesChanged(listener: (rules: Rule[]) => void): void {
    this.listeners.add(listener);
  }

  /**
   * Runs a user's turn holding that user's lock in Redis (redis/user-lock.ts), so two processes never run
   * turns of one user at once; the turn first catches up with rules changed elsewhere.
   */
  async withUserLock<T>(userId: string, turn: () => Promise<T>): Promise<T> {
    // What the turn itself throws (a refusal, the store's own errors) passes through as it is; only the lock's failures are ours.
    let turnFailed = false;
    try {
      return await this.locks.run(
        { lock: this.key('lock', userId), user: this.key('user', userId), rulesVersion: this.rulesKeys[1]! },
        async (version, user) => {
          if (version > this.rulesVersion) await this.reloadRules();
          this.readWithLock.set(userId, user);
        },
        async () => {
          try {
            return await turn();
          } catch (err) {
            turnFailed = true;
            throw err;
          } finally {
            this.readWithLock.delete(userId);
          }
        },
      );
    } catch (err) {
      throw turnFailed ? err : unavailable('The message', err);
    }
  }

  /** Redis deletes a file when its 3 days are over (key expiry); the quota is counted by the script. */
  async putMedia(record: MediaRecord, bytes: Buffer): Promise<void> {
    const now = this.now();
    const left = Date.parse(record.createdAt) + MEDIA_LIFETIME_MS - now;
    if (left <= 0) return; // lapsed already: nothing to keep
    const keys = [this.mediaKey(record.mediaId), this.key('media-live', 'media'), this.key('media-bytes', 'media')];
    try {
      await putMedia(this.redis, keys, [now, Math.round(left), bytes.length, this.mediaQuotaBytes, JSON.stringify(record), bytes, `${record.mediaId}:${bytes.length}`]);
    } catch (err) {
      const used = /^QUOTA (\d+)/.exec((err as Error).message);
      if (used) throw StoreError.mediaQuota(Number(used[1]), this.mediaQuotaBytes, MEDIA_LIFETIME_MS);
      throw unavailable('The file', err);
    }
  }

  async getMedia(mediaId: string): Promise<{ record: MediaRecord; bytes: Buffer } | undefined> {
    const [record, bytes] = await this.read('The file', () => this.redis.hmgetBuffer(this.mediaKey(mediaId), 'record', 'bytes'));
    if (!record || !bytes) return undefined;
    const parsed = JSON.parse(record.toString('utf8')) as MediaRecord;
    // Redis expires the key on its own clock; the store's clock has the last word.
    return Date.parse(parsed.createdAt) + MEDIA_LIFETIME_MS > this.now() ? { record: parsed, bytes } : undefined;
  }

  records<T>(kind: string): Records<T> {
    return this.shelf.of<T>(kind);
  }

  /** Calls `listener` with the kind and key of every record put or deleted by any process on this Redis. */
  onRecordChanged(listener: (kind: string, key: string) => void): void {
    this.recordListeners.add(listener);
  }

  /** Why the store cannot serve now (for /healthz), or undefined while Redis answers. */
  async unavailable(): Promise<string | undefined> {
    if (this.redis.status !== 'ready') return `Redis is not connected (${this.redis.status})`;
    try {
      await this.redis.ping();
      return undefined;
    } catch (err) {
      return `Redis does not answer (${(err as Error).message})`;
    }
  }

  /** Waits for the replies of commands sent, then closes the connections. */
  async close(): Promise<void> {
    await Promise.all([closeClient(this.redis), closeClient(this.subscriber)]);
  }

  private async read<T>(what: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw new StoreError('unavailable', `${what} could not be read (${(err as Error).message}); try again.`);
    }
  }

  private async reloadRules(): Promise<void> {
    const [json, version] = await this.redis.mget(...this.rulesKeys);
    if (json && Number(version) > this.rulesVersion) this.useRules(this.parseRules(json, describeRedis(this.url)), Number(version));
  }

  private useRules(rules: Rule[], version: number, notify = true): void {
    if (version < this.rulesVersion) return;
    this.cachedRules = rules;
    this.rulesVersion = version;
    if (notify) for (const listener of this.listeners) listener(rules);
  }

  private parseRules(json: string, where: string): Rule[] {
    const parsed = rulesSchema.safeParse(JSON.parse(json));
    if (!parsed.success) throw new StoreError('damaged', `${where} ${this.rulesKeys[0]}: the rules there are not rules of this version (${parsed.error.issues[0]?.message})`);
    return parsed.data;
  }
}
