// A mass message is stored before its msg_id is answered, so a stop cannot lose it: a process sharing the store
// takes up a job whose process died (its lease lapsed), and a restarted one takes up its own. Each recipient gets
// the message once, and the server under test (built with `wechat`, driven by co-wechat-api) gets MASSSENDJOBFINISH.
import { expect } from 'chai';
import API from 'co-wechat-api';
import type { StoredMessage } from '../server/contract.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { fileLocation } from '../server/store/low-location.ts';
import { LowStore } from '../server/store/low-store.ts';
import { RedisStore } from '../server/store/redis-store.ts';
import { openIdOf } from '../server/wechat/remote-bot.ts';
import { buildServer } from '../server/build.ts';
import { connectUser, eachTestTempDir, http, send, until } from './helpers.ts';
import { accountServer, APPID, platformSimulatorOn, SECRET, TOKEN, type WeixinMessage } from './platform-helpers.ts';
import { start, stop } from './process-helpers.ts';
import { deleteMatching, suiteRedis } from './redis-helpers.ts';

const MSG_ID = '3147483001';
const TEXT = 'Hello again, followers';

const historyOf = async (url: string, userId: string): Promise<StoredMessage[]> => (await http(`${url}/api/messages?userId=${userId}`, 'GET')).body.messages;
const copies = async (url: string, userId: string) => (await historyOf(url, userId)).filter((m) => (m as { text?: string }).text === TEXT).length;

describe('mass messages: a job a stopped process left unfinished', function () {
  this.timeout(60_000);
  const temp = eachTestTempDir();
  const redis = suiteRedis();
  afterEach(() => deleteMatching(redis.admin, 'mass-resume:*'));

  for (const [name, makeStore] of [
    ['lowdb', (): ChatStore => new LowStore(fileLocation(temp.dbFile))],
    ['Redis', (): ChatStore => new RedisStore({ url: redis.server.url, prefix: 'mass-resume:' })],
  ] as const) {
    it(`is taken up once the dead process's lease lapses: the recipients left get it once, the one reached is not sent it again (${name})`, async () => {
      const finished: WeixinMessage[] = [];
      const account = await accountServer((message, res) => {
        if (message.Event === 'MASSSENDJOBFINISH') finished.push(message);
        res.reply('');
      });
      const store = makeStore();
      const sim = await platformSimulatorOn(store, account.url, { massJobs: { leaseMs: 300, checkEveryMs: 50 } });
      try {
        const names = ['ann', 'ben', 'cat', 'dan'];
        for (const userId of names) {
          const user = await connectUser(sim.url, userId);
          if (userId === 'dan') await send(user.socket, { type: 'event', event: 'unsubscribe' });
          user.socket.close();
        }
        // What a process leaves that died with the job's first batch under way: the job, its recipients (dan
        // unfollowed after the call) and progress stored, a lease nobody renews, and ann's copy delivered.
        const outbound = { type: 'text' as const, text: TEXT };
        const path = 'message/mass/sendall';
        await store.records('mass-leases').put(MSG_ID, 'a process that died', { ttlMs: 300 });
        await store.records('mass-recipients').put(`${MSG_ID}-0`, names.map((userId) => ({ userId, openId: openIdOf(userId) })));
        await store.records('mass-progress').put(MSG_ID, { outbound, path, total: 4, recipients: 4, next: 0, sent: 0, filtered: 4 });
        await store.records('mass-jobs').put(MSG_ID, { msgId: MSG_ID, msgtype: 'text', status: 'SENDING', createdAt: Date.now() });
        await sim.app.service.deliver('ann', [outbound], { trace: { api: { path, msg_id: MSG_ID } } });

        await until(() => finished.some((m) => m.MsgID === MSG_ID), 10_000);
        expect(finished.filter((m) => m.MsgID === MSG_ID)).to.have.length(1);
        expect(finished.find((m) => m.MsgID === MSG_ID)).to.include({ Status: 'send success', TotalCount: '4', FilterCount: '3', SentCount: '3', ErrorCount: '0' });
        for (const userId of ['ann', 'ben', 'cat']) expect(await copies(sim.url, userId), userId).to.equal(1);
        expect(await copies(sim.url, 'dan')).to.equal(0);
        const api = new API(APPID, SECRET);
        api.prefix = `${sim.url}/cgi-bin/`;
        expect(await api.getMassMessageStatus(MSG_ID)).to.deep.include({ msg_status: 'SEND_SUCCESS' });
        // Finished: nothing left for a later check to take up.
        for (const started = Date.now(); (await store.records('mass-leases').get(MSG_ID)) !== undefined; ) {
          if (Date.now() - started > 3000) throw new Error('the lease was not let go');
          await new Promise((r) => setTimeout(r, 10));
        }
        expect(await store.records('mass-progress').list()).to.deep.equal([]);
        expect(await store.records('mass-recipients').list()).to.deep.equal([]);
      } finally {
        await sim.close();
        await account.close();
      }
    });
  }

  it('is taken up by the restarted server when it was killed (SIGKILL) pushing MASSSENDJOBFINISH: the event comes again, no chat gets a second copy', async () => {
    await buildServer();
    const finished: WeixinMessage[] = [];
    let holding = true;
    const account = await accountServer((message, res) => {
      if (message.Event !== 'MASSSENDJOBFINISH') return res.reply('');
      finished.push(message);
      // The first push is held unanswered: the process is killed while it waits.
      if (!holding) res.reply('');
    });
    const env = { DB_FILE: temp.dbFile, TARGET_URL: account.url, TARGET_TOKEN: TOKEN, TARGET_APPID: APPID, TARGET_SECRET: SECRET, TARGET_RETRIES: '0' };
    const killed = await start(env);
    try {
      for (const userId of ['ann', 'ben', 'cat']) (await connectUser(killed.url, userId)).socket.close();
      const api = new API(APPID, SECRET);
      api.prefix = `${killed.url}/cgi-bin/`;
      const job = await api.massSendText(TEXT, true);
      expect(String(job.msg_id)).to.match(/^\d+$/);
      await until(() => finished.length === 1, 10_000);
      expect(finished[0]).to.include({ MsgID: String(job.msg_id), SentCount: '3' });
    } finally {
      killed.child.kill('SIGKILL');
      await killed.exited;
    }
    holding = false;
    const restarted = await start(env);
    try {
      // The killed process's lease lapses first (15 s), then the restarted one's next look takes the job up.
      await until(() => finished.length === 2, 30_000);
      expect(finished[1]).to.include({ MsgID: finished[0]!.MsgID, TotalCount: '3', FilterCount: '3', SentCount: '3', ErrorCount: '0' });
      for (const userId of ['ann', 'ben', 'cat']) expect(await copies(restarted.url, userId), userId).to.equal(1);
    } finally {
      await stop(restarted);
      await account.close();
    }
  });
});
