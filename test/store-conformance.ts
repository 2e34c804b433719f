// One suite every ChatStore must pass, whatever keeps the data: describeChatStore(name, makeStore).
import { expect } from 'chai';
import type { StoredMessage } from '../server/contract.ts';
import { ruleSchema, type Rule } from '../server/content/rules.ts';
import { API_CALLS_KEPT } from '../server/limits.ts';
import { ApiCallLog } from '../server/store/api-call-log.ts';
import { StoreError, type ChatStore } from '../server/store/chat-store.ts';
import { Leases } from '../server/store/leases.ts';
import { seedContent, until } from './helpers.ts';

/** A store under test, and the ways the suite needs to reach behind it. */
export type StoreUnderTest = {
  store: ChatStore;
  /**
   * Makes the next commits for `userId` fail part-way through, until `repair`: a journal append that fails for
   * lowdb, a key of the wrong type (written last by the commit script) for Redis.
   */
  breakCommits: (userId: string) => Promise<void>;
  repair: (userId: string) => Promise<void>;
  /** A new store on the same data, opened after this one is closed (stores that keep data). */
  reopen?: () => ChatStore;
  /** A second store on the same data at the same time (stores many processes share). */
  shared?: () => ChatStore;
  /** Removes what the test left (folders, keys). */
  cleanup: () => Promise<void>;
};

let counter = 0;
const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();

/** A stored message with an id that sorts by `n`. */
function message(userId: string, n: number, from: 'user' | 'bot' = 'user', text = `text ${n}`): StoredMessage {
  return { type: 'text', text, id: `m${String(n).padStart(6, '0')}x${++counter}`, userId, from, createdAt: at(n) };
}

const session = (n: number) => ({ subscribed: true, lastSection: `s${n}` }) as never;
const texts = (messages: StoredMessage[] | undefined) => messages?.map((m) => (m as { text: string }).text);
const rule = (id: string, keyword: string): Rule => ruleSchema.parse({ id, name: id, keywords: [{ text: keyword, match: 'equal' }], replies: [{ type: 'text', text: `reply ${id}` }] });

/** Runs the conformance suite against the stores `makeStore` makes (a fresh, empty one per test). */
export function describeChatStore(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`ChatStore conformance: ${name}`, function () {
    const seed = seedContent().seedRules;
    let t: StoreUnderTest;
    let store: ChatStore;
    beforeEach(async () => {
      t = await makeStore();
      store = t.store;
      await store.open(seed);
    });
    afterEach(async () => {
      await store.close().catch(() => undefined);
      await t.cleanup();
    });

    it('does not know a user before their first commit, and knows their session after', async () => {
      expect((await store.openTurn('alice')).user).to.equal(undefined);
      expect(await store.history('alice', { limit: 10 })).to.deep.equal([]);
      expect(await store.history('alice', { limit: 10, before: 'm1' })).to.equal(undefined);
      await store.commit('alice', { messages: [message('alice', 1, 'bot', 'welcome')], session: session(1) });
      const user = (await store.openTurn('alice')).user;
      expect(user).to.include({ userId: 'alice', createdAt: at(1) });
      expect(user!.session).to.deep.equal(session(1));
      expect((await store.openTurn('bob')).user).to.equal(undefined);
    });

    it('keeps messages in commit order, and the session of the last commit', async () => {
      for (let n = 1; n <= 5; n++) await store.commit('alice', { messages: [message('alice', 2 * n), message('alice', 2 * n + 1, 'bot')], session: session(n) });
      await store.commit('bob', { messages: [message('bob', 99)], session: session(99) });
      expect(texts(await store.history('alice', { limit: 50 }))).to.deep.equal([2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((n) => `text ${n}`));
      expect((await store.openTurn('alice')).user!.session).to.deep.equal(session(5));
      expect(texts(await store.history('bob', { limit: 50 }))).to.deep.equal(['text 99']);
    });

    it('pages back by message id', async () => {
      const all = Array.from({ length: 7 }, (_, i) => message('alice', i + 1));
      for (const m of all) await store.commit('alice', { messages: [m], session: session(1) });
      const newest = await store.history('alice', { limit: 3 });
      expect(texts(newest)).to.deep.equal(['text 5', 'text 6', 'text 7']);
      const older = await store.history('alice', { limit: 3, before: newest![0]!.id });
      expect(texts(older)).to.deep.equal(['text 2', 'text 3', 'text 4']);
      expect(texts(await store.history('alice', { limit: 3, before: older![0]!.id }))).to.deep.equal(['text 1']);
      expect(await store.history('alice', { limit: 3, before: all[0]!.id })).to.deep.equal([]);
      expect(await store.history('alice', { limit: 3, before: 'nope' })).to.equal(undefined);
      expect(await store.history('bob', { limit: 3, before: all[3]!.id })).to.equal(undefined);
    });

    it('finds the exchange a clientId produced, for that user only', async () => {
      const inbound = message('alice', 1);
      const replies = [message('alice', 2, 'bot'), message('alice', 3, 'bot')];
      await store.commit('alice', { messages: [inbound, ...replies], session: session(1), clientId: 'c-1' });
      await store.commit('alice', { messages: [message('alice', 4)], session: session(2) });
      expect((await store.openTurn('alice', 'c-1')).earlier).to.deep.equal({ message: inbound, replies });
      expect((await store.openTurn('alice', 'c-2')).earlier).to.equal(undefined);
      expect((await store.openTurn('bob', 'c-1')).earlier).to.equal(undefined);
    });

    it('seeds the rules once, and keeps rule changes', async () => {
      expect(store.rules()).to.deep.equal(seed);
      const changed = [...seed, rule('added', 'conformance')];
      await store.saveRules(changed);
      expect(store.rules()).to.deep.equal(changed);
      if (!t.reopen) return;
      await store.close();
      store = t.reopen();
      await store.open(seed);
      expect(store.rules()).to.deep.equal(changed);
    });

    it('opens a turn with the follower state and window committed with it, kept while commits leave them out', async () => {
      const follower = { subscribed: true, subscribeTime: 1_767_225_600 };
      const window = { kind: 'message' as const, at: 1_767_225_601_000, sent: 2 };
      expect(await store.openTurn('alice', 'c-1')).to.deep.equal({});
      await store.commit('alice', { messages: [message('alice', 1)], session: session(1) });
      expect((await store.openTurn('alice')).user).to.not.have.any.keys('follower', 'window');
      await store.commit('alice', { messages: [message('alice', 2)], session: session(2), follower, window, clientId: 'c-2' });
      // Enough messages for a store that keeps them in segments to start new ones: the state goes along.
      for (let n = 0; n < 3; n++) await store.commit('alice', { messages: Array.from({ length: 60 }, (_, i) => message('alice', 100 * (n + 1) + i)), session: session(3 + n) });
      const opened = await store.openTurn('alice', 'c-2');
      expect(opened.user).to.deep.equal({ userId: 'alice', createdAt: at(1), session: session(5), follower, window });
      expect(opened.earlier!.message.id).to.match(/^m000002x/);
      const unfollowed = { ...follower, subscribed: false };
      await store.commit('alice', { messages: [], session: session(6), follower: unfollowed });
      expect((await store.openTurn('alice')).user).to.deep.include({ follower: unfollowed, window });
      if (!t.reopen) return;
      await store.close();
      store = t.reopen();
      await store.open(seed);
      expect((await store.openTurn('alice')).user).to.deep.include({ session: session(6), follower: unfollowed, window });
    });

    it('stores a revised message in its place, and the exchange of its clientId with it', async () => {
      const pushed = message('alice', 1);
      const delivered = message('alice', 2, 'bot', 'customer service');
      await store.commit('alice', { messages: [pushed, delivered], session: session(1), window: { kind: 'message', at: 1, sent: 1 } });
      const traced = { ...pushed, trace: { wechat: { outcome: 'replied' } } };
      const reply = message('alice', 3, 'bot', 'passive');
      await store.commit('alice', { messages: [reply], session: session(2), clientId: 'c-1', revised: traced });
      const check = async () => {
        expect(await store.history('alice', { limit: 10 })).to.deep.equal([traced, delivered, reply]);
        expect((await store.openTurn('alice', 'c-1')).earlier).to.deep.equal({ message: traced, replies: [reply] });
        expect((await store.history('alice', { limit: 1, before: delivered.id }))![0]).to.deep.equal(traced);
      };
      await check();
      if (!t.reopen) return;
      await store.close();
      store = t.reopen();
      await store.open(seed);
      await check();
    });

    it('runs a turn in withUserLock and passes its answer or error through; says it is available', async () => {
      expect(await store.withUserLock('alice', async () => 42)).to.equal(42);
      const refusal = new Error('refused by the turn');
      expect(await store.withUserLock('alice', () => Promise.reject(refusal)).catch((err: unknown) => err)).to.equal(refusal);
      expect(await store.unavailable()).to.equal(undefined);
      // A store's own rule change is not news to it: listeners hear of other processes' changes only.
      const heard: Rule[][] = [];
      store.onRulesChanged((rules) => heard.push(rules));
      await store.saveRules([...seed, rule('mine', 'own')]);
      await new Promise((r) => setTimeout(r, 50)); // a notice Redis would send back arrives in that time
      expect(heard).to.deep.equal([]);
    });

    it('changes nothing when a commit fails part-way', async () => {
      const follower = { subscribed: true, subscribeTime: 1 };
      const window = { kind: 'event' as const, at: 1000, sent: 0 };
      const first = message('alice', 1);
      await store.commit('alice', { messages: [first], session: session(1), follower, window });
      await t.breakCommits('alice');
      let failed = false;
      const revised = { ...first, trace: { changed: true } };
      const change = { follower: { subscribed: false, subscribeTime: 2 }, window: { kind: 'message' as const, at: 2000, sent: 1 }, revised };
      await store.commit('alice', { messages: [message('alice', 2), message('alice', 3, 'bot')], session: session(2), clientId: 'c-x', ...change }).catch(() => (failed = true));
      expect(failed).to.equal(true);
      expect((await store.openTurn('alice')).user).to.deep.include({ session: session(1), follower, window });
      expect((await store.history('alice', { limit: 10 }))![0]).to.deep.equal(first);
      expect(texts(await store.history('alice', { limit: 10 }))).to.deep.equal(['text 1']);
      await t.repair('alice');
      expect((await store.openTurn('alice', 'c-x')).earlier).to.equal(undefined);
      await store.commit('alice', { messages: [message('alice', 4)], session: session(4), clientId: 'c-x' });
      expect(texts(await store.history('alice', { limit: 10 }))).to.deep.equal(['text 1', 'text 4']);
    });

    it('keeps records by kind and key, replaces, deletes and lists them by prefix', async () => {
      const followers = store.records<{ userId: string }>('followers');
      const tokens = store.records<string>('tokens');
      expect(await followers.get('o1')).to.equal(undefined);
      await followers.put('o1', { userId: 'alice' });
      await followers.put('o2', { userId: 'bob' });
      await followers.put('x:o3', { userId: 'carol' });
      await followers.put('o2', { userId: 'bob again' });
      await tokens.put('o1', 'a token, not a follower');
      expect(await followers.get('o1')).to.deep.equal({ userId: 'alice' });
      expect(await tokens.get('o1')).to.equal('a token, not a follower');
      const byKey = (list: { key: string }[]) => [...list].sort((x, y) => x.key.localeCompare(y.key));
      expect(byKey(await followers.list('o'))).to.deep.equal([{ key: 'o1', value: { userId: 'alice' } }, { key: 'o2', value: { userId: 'bob again' } }]);
      expect((await followers.list()).length).to.equal(3);
      expect(await followers.list('*')).to.deep.equal([]); // a prefix is text, never a pattern
      await followers.delete('o1');
      await followers.delete('never there');
      expect(await followers.get('o1')).to.equal(undefined);
      expect(await tokens.get('o1')).to.equal('a token, not a follower');
      expect(() => store.records('Not a kind/..')).to.throw(/must match/);
    });

    it('claims a record only when there is no live one, once among concurrent claims', async () => {
      const leases = store.records<string>('tokens');
      const claims = await Promise.all(['a', 'b', 'c', 'd'].map((who) => leases.claim('job', who, { ttlMs: 60_000 })));
      expect(claims.filter(Boolean)).to.have.length(1);
      expect(await leases.get('job')).to.equal(['a', 'b', 'c', 'd'][claims.indexOf(true)]);
      expect(await leases.claim('job', 'late')).to.equal(false);
      await leases.claim('brief', 'first', { ttlMs: 50 });
      await new Promise((r) => setTimeout(r, 120));
      expect(await leases.claim('brief', 'after it lapsed')).to.equal(true);
      expect(await leases.get('brief')).to.equal('after it lapsed');
      await leases.delete('job');
      expect(await leases.claim('job', 'again')).to.equal(true);
    });

    it('holds a lease (store/leases.ts) for one taker: renewed while held, never let go or renewed by one whose lease lapsed', async () => {
      const leases = new Leases(store.records<string>('tokens'), 60);
      const first = await leases.take('job');
      expect(first).to.not.equal(undefined);
      expect(await leases.take('job')).to.equal(undefined);
      expect(await first!.renew()).to.equal(true);
      await new Promise((r) => setTimeout(r, 120));
      const second = await leases.take('job');
      expect(second, 'taken once the first lapsed').to.not.equal(undefined);
      expect(await first!.renew()).to.equal(false);
      await first!.release();
      expect(await leases.take('job'), 'the second still holds it').to.equal(undefined);
      await second!.release();
      expect(await leases.take('job')).to.not.equal(undefined);
    });

    it('keeps records until their time to live is over', async () => {
      const records = store.records<string>('tokens');
      await records.put('short', 'x', { ttlMs: 50 });
      await records.put('long', 'y', { ttlMs: 60_000 });
      await records.put('ever', 'z');
      await new Promise((r) => setTimeout(r, 120)); // Redis's own expiry runs on its own clock
      expect(await records.get('short')).to.equal(undefined);
      expect(await records.get('long')).to.equal('y');
      expect((await records.list()).map((r) => r.key).sort()).to.deep.equal(['ever', 'long']);
    });

    it('keeps records for a store opened after, and tells stores sharing the data of changes', async function () {
      await store.records<number[]>('menu').put('buttons', [1, 2]);
      if (t.shared) {
        const other = t.shared();
        await other.open(seed);
        try {
          const heard: string[] = [];
          other.onRecordChanged((kind, key) => heard.push(`${kind}/${key}`));
          await store.records('menu').put('buttons', [3]);
          await store.records('menu').delete('gone');
          await until(() => heard.length === 2, 1000);
          // Notices of different keys come in no set order on a Redis Cluster (each publish may enter by another node).
          expect([...heard].sort()).to.deep.equal(['menu/buttons', 'menu/gone']);
          expect(await other.records('menu').get('buttons')).to.deep.equal([3]);
        } finally {
          await other.close();
        }
      }
      await store.close();
      if (!t.reopen) return;
      store = t.reopen();
      await store.open(seed);
      expect(await store.records('menu').get('buttons')).to.deep.equal(t.shared ? [3] : [1, 2]);
    });

    it('gives media bytes back as they were stored', async () => {
      const bytes = Buffer.from(Array.from({ length: 600 }, (_, i) => i % 256));
      const record = { mediaId: 'media-1', type: 'image' as const, contentType: 'image/png', size: bytes.length, createdAt: new Date().toISOString(), filename: 'a.png' };
      await store.putMedia(record, bytes);
      const got = await store.getMedia('media-1');
      expect(got!.record).to.deep.equal(record);
      expect(got!.bytes.equals(bytes)).to.equal(true);
      expect(await store.getMedia('media-2')).to.equal(undefined);
    });

    it('keeps the newest API calls, oldest first, and a store opened after has them', async () => {
      const call = (n: number) => ({ id: `c${String(n).padStart(4, '0')}`, at: at(n), method: 'GET', path: `/cgi-bin/menu/get?n=${n}`, errcode: 0, errmsg: 'ok' });
      const log = new ApiCallLog(store);
      expect(await log.recent()).to.deep.equal([]);
      await Promise.all(Array.from({ length: API_CALLS_KEPT + 5 }, (_, n) => log.add(call(n))));
      const kept = Array.from({ length: API_CALLS_KEPT }, (_, n) => call(n + 5));
      expect(await log.recent()).to.deep.equal(kept);
      expect((await store.records('api-calls').list()).length, 'the oldest are deleted').to.equal(API_CALLS_KEPT);
      await store.close();
      if (!t.reopen) return;
      store = t.reopen();
      await store.open(seed);
      expect(await new ApiCallLog(store).recent()).to.deep.equal(kept);
    });

    it('closes after its writes, and a store opened after has them', async () => {
      const writes = [1, 2, 3].map((n) => store.commit(`user${n}`, { messages: [message(`user${n}`, n)], session: session(n), clientId: `c${n}` }));
      await Promise.all(writes);
      await store.close();
      if (!t.reopen) return;
      store = t.reopen();
      await store.open(seed);
      for (const n of [1, 2, 3]) {
        expect(texts(await store.history(`user${n}`, { limit: 5 }))).to.deep.equal([`text ${n}`]);
        expect((await store.openTurn(`user${n}`, `c${n}`)).earlier).to.not.equal(undefined);
      }
    });

    it('shows rule changes to every store on the same data, and tells them', async function () {
      if (!t.shared) return this.skip();
      const other = t.shared();
      await other.open(seed);
      try {
        const heard: Rule[][] = [];
        other.onRulesChanged((rules) => heard.push(rules));
        const changed = [...seed, rule('elsewhere', 'shared')];
        await store.saveRules(changed);
        await until(() => other.rules().length === changed.length, 1000);
        expect(other.rules()).to.deep.equal(changed);
        expect(heard.at(-1)).to.deep.equal(changed);
      } finally {
        await other.close();
      }
    });

    it('stores a commit that ends the turn like any other; across stores, it lets the user go at once', async function () {
      const other = t.shared?.();
      await other?.open(seed);
      const [first, second, late] = [1, 2, 3].map((n) => message('alice', n));
      try {
        await store.withUserLock('alice', async () => {
          await store.commit('alice', { messages: [first!], session: session(1), endsTurn: true });
          if (!other) return;
          // Still inside this turn: another store takes the user (it would wait 30 s for a lock still held).
          await other.withUserLock('alice', () => other.commit('alice', { messages: [second!], session: session(2) }));
          const refused = await store.commit('alice', { messages: [late!], session: session(3) }).catch((err: unknown) => err);
          expect(refused, 'a commit under a lock that was let go').to.be.instanceOf(StoreError).with.property('kind', 'unavailable');
        });
        const { user } = await store.openTurn('alice');
        expect(user!.session).to.deep.equal(session(other ? 2 : 1));
        expect((await store.history('alice', { limit: 10 }))!.map((m) => m.id)).to.deep.equal(other ? [first!.id, second!.id] : [first!.id]);
      } finally {
        await other?.close();
      }
    });

    it("says whether another store sharing the data has a window of the user open, counting each one", async () => {
      const commit = async (s: ChatStore, n: number) => (await s.commit('alice', { messages: [message('alice', n)], session: session(n) })).elsewhere;
      expect(await commit(store, 1), 'nobody watches').to.equal(false);
      await store.watch('alice');
      expect(await commit(store, 2), "this store's own window").to.equal(false);
      const other = t.shared?.();
      if (!other) return;
      await other.open(seed);
      try {
        await other.watch('alice');
        await other.watch('alice');
        expect(await commit(store, 3), "the other store's two windows").to.equal(true);
        expect(await commit(other, 4), "this store's window, seen from the other").to.equal(true);
        await other.unwatch('alice');
        expect(await commit(store, 5), 'one window left there').to.equal(true);
        await other.unwatch('alice');
        expect(await commit(store, 6), 'none left there').to.equal(false);
        await store.unwatch('alice');
        expect(await commit(other, 7), 'none left here either').to.equal(false);
      } finally {
        await other.close();
      }
    });

    it('runs turns of one user one at a time across stores on the same data', async function () {
      if (!t.shared) return this.skip();
      const other = t.shared();
      await other.open(seed);
      try {
        let inside = 0;
        let most = 0;
        const turn = (s: ChatStore, n: number) =>
          s.withUserLock('alice', async () => {
            most = Math.max(most, ++inside);
            const before = (await s.openTurn('alice')).user?.session as { lastSection?: string } | undefined;
            await new Promise((r) => setTimeout(r, 5));
            await s.commit('alice', { messages: [message('alice', n)], session: session(Number(before?.lastSection?.slice(1) ?? 0) + 1) });
            inside--;
          });
        await Promise.all(Array.from({ length: 10 }, (_, n) => turn(n % 2 ? store : other, n)));
        expect(most).to.equal(1);
        // Every turn saw the session the one before it left: none was lost.
        expect((await store.openTurn('alice')).user!.session).to.deep.equal(session(10));
      } finally {
        await other.close();
      }
    });
  });
}
