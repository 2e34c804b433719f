// The platform API against code no one here wrote: an official-account server built with node-webot's
// `wechat` middleware that calls the simulator's /cgi-bin/ through co-wechat-api, as it would call WeChat.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import API from 'co-wechat-api';
import type { Account, ApiCall, StoredMessage } from '../server/contract.ts';
import { openIdOf } from '../server/wechat/remote-bot.ts';
import { connectUser, http, send, tempDir, until } from './helpers.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { memoryLocation } from '../server/store/low-location.ts';
import { LowStore } from '../server/store/low-store.ts';
import { RedisStore } from '../server/store/redis-store.ts';
import { accountServer, APPID, PNG, platformSimulator, platformSimulatorOn, SECRET, type Simulator, type WeixinMessage } from './platform-helpers.ts';
import { suiteRedis } from './redis-helpers.ts';

type Token = { accessToken: string; expireTime: number } | null;

describe('platform API: a server built with `wechat` and co-wechat-api', () => {
  it('gets a token, recovers from a bogus one, creates a menu, gets its CLICK, sends customer-service, template and image messages, reads user info', async () => {
    const tmp = await tempDir();
    const templatesFile = path.join(tmp.dir, 'templates.json');
    writeFileSync(templatesFile, JSON.stringify({ template_list: [{ template_id: 'ORDER_SHIPPED', title: 'Order shipped', content: 'Order {{order.DATA}} is on its way.\nArrives: {{eta.DATA}}' }] }));
    // The account's server keeps its token where the test can see (and spoil) it, as its docs suggest for clusters.
    const saved: Token[] = [];
    let stored: Token = null;
    const api = new API(APPID, SECRET, async () => stored, async (token: Token) => {
      stored = token;
      saved.push(token);
    });
    const account = await accountServer((message, res) => {
      if (message.MsgType === 'event' && message.Event === 'subscribe') return res.reply('Welcome!');
      if (message.MsgType === 'event' && message.Event === 'CLICK') return res.reply(`clicked ${message.EventKey}`);
      if (message.MsgType === 'event') return res.reply('');
      if (message.Content === 'slow') {
        // The usual way to answer something slow: an empty passive reply now, a customer-service message later.
        res.reply('');
        setTimeout(() => void api.sendText(message.FromUserName, 'Here is your slow answer'), 300);
        return;
      }
      if (message.Content === 'picture') {
        res.reply('');
        void (async () => {
          const uploaded = await api.uploadMedia(PNG, 'image', 'dot.png', 'image/png');
          await api.sendImage(message.FromUserName, uploaded.media_id);
        })();
        return;
      }
      res.reply(`You said: ${message.Content}`);
    });
    const sim = await platformSimulator(account.url, { templatesFile });
    api.prefix = `${sim.url}/cgi-bin/`;
    try {
      const calls: ApiCall[] = [];
      const alice = await connectUser(sim.url, 'alice');
      alice.socket.on('apiCall', (call) => calls.push(call));
      await alice.socket.emitWithAck('subscribe', { apiCalls: true }); // as the developer panel does
      const accounts: Account[] = [];
      alice.socket.on('account', (a) => accounts.push(a));
      // In front of a server under test, the chat has no menu until that server creates one.
      expect(alice.ready.account.menu).to.deep.equal([]);
      expect(alice.ready.history.map((m) => (m as { text?: string }).text)).to.deep.equal(['Welcome!']);

      const token = await api.getAccessToken();
      expect(token.accessToken).to.be.a('string').with.length.above(20);

      // A token the platform never issued: 40001, and the library fetches a new one and tries again.
      stored = { accessToken: 'bogus', expireTime: Date.now() + 3600_000 };
      saved.length = 0;
      const menu = {
        button: [
          { type: 'click', name: '今日歌曲', key: 'V1001_TODAY_MUSIC' },
          { name: '菜单', sub_button: [{ type: 'view', name: '搜索', url: 'http://www.soso.com/' }, { type: 'click', name: '赞一下我们', key: 'V1001_GOOD' }] },
        ],
      };
      expect(await api.createMenu(menu)).to.deep.include({ errcode: 0, errmsg: 'ok' });
      expect(saved[0]).to.equal(null);
      expect(saved[1]!.accessToken).to.be.a('string').and.not.equal('bogus');
      await until(() => calls.some((c) => c.path.startsWith('/cgi-bin/menu/create') && c.errcode === 0));
      const menuCalls = calls.filter((c) => c.path.startsWith('/cgi-bin/menu/create'));
      expect(menuCalls.map((c) => c.errcode)).to.deep.equal([40001, 0]);
      expect(menuCalls.every((c) => !c.path.includes('access_token'))).to.equal(true);

      // The open chat redraws; a new chat opens with it.
      const chatMenu = [
        { name: '今日歌曲', key: 'V1001_TODAY_MUSIC' },
        { name: '菜单', sub: [{ name: '搜索', url: 'http://www.soso.com/' }, { name: '赞一下我们', key: 'V1001_GOOD' }] },
      ];
      await until(() => accounts.length > 0);
      expect(accounts.at(-1)!.menu).to.deep.equal(chatMenu);
      const bob = await connectUser(sim.url, 'bob');
      expect(bob.ready.account.menu).to.deep.equal(chatMenu);
      bob.socket.close();
      expect((await api.getMenu()).menu.button).to.deep.equal(menu.button);

      // A tap on the menu reaches the server as its CLICK.
      const click = await send(alice.socket, { type: 'event', event: 'click', key: 'V1001_GOOD' });
      expect(click).to.have.nested.property('replies[0].text', 'clicked V1001_GOOD');
      expect(account.received.at(-1)).to.include({ MsgType: 'event', Event: 'CLICK', EventKey: 'V1001_GOOD' });

      // An empty passive reply, then a customer-service text 300 ms later: in the chat and in the history.
      const slow = await send(alice.socket, { type: 'text', text: 'slow' });
      expect(slow).to.deep.include({ ok: true, replies: [] });
      await until(() => alice.received.some((m) => (m as { text?: string }).text === 'Here is your slow answer'));
      const history = (await http(`${sim.url}/api/messages?userId=alice`, 'GET')).body.messages as StoredMessage[];
      expect(history.at(-1)).to.deep.include({ from: 'bot', type: 'text', text: 'Here is your slow answer' });

      // User info: what the platform still returns, and no nickname.
      const info = await api.getUser({ openid: openIdOf('alice'), lang: 'zh_CN' });
      expect(info).to.include({ subscribe: 1, openid: openIdOf('alice'), language: 'zh_CN', remark: '', groupid: 0 });
      expect(info.subscribe_time).to.be.a('number').above(1_600_000_000);
      expect(info).to.have.property('tagid_list').that.deep.equals([]);
      expect(info).to.not.have.property('nickname');

      // A template message: the card in the chat, then TEMPLATESENDJOBFINISH to the server.
      const data = { order: { value: 'A-1001', color: '#173177' }, eta: { value: 'tomorrow' } };
      const sent = await api.sendTemplate(openIdOf('alice'), 'ORDER_SHIPPED', 'http://example.com/orders/A-1001', '#FF0000', data);
      expect(sent).to.include({ errcode: 0, errmsg: 'ok' });
      const msgId = String(sent.msgid);
      await until(() => alice.received.some((m) => m.type === 'template'));
      expect(alice.received.find((m) => m.type === 'template')).to.deep.include({
        templateId: 'ORDER_SHIPPED',
        title: 'Order shipped',
        content: 'Order {{order.DATA}} is on its way.\nArrives: {{eta.DATA}}',
        url: 'http://example.com/orders/A-1001',
        data,
      });
      await until(() => account.received.some((m: WeixinMessage) => m.Event === 'TEMPLATESENDJOBFINISH'));
      expect(account.received.find((m) => m.Event === 'TEMPLATESENDJOBFINISH')).to.include({ MsgID: msgId, Status: 'success', FromUserName: openIdOf('alice') });

      // An uploaded PNG sent back as a customer-service image: the chat gets exactly those bytes.
      expect(await send(alice.socket, { type: 'text', text: 'picture' })).to.deep.include({ ok: true, replies: [] });
      await until(() => alice.received.some((m) => m.type === 'image'));
      const image = alice.received.find((m) => m.type === 'image') as StoredMessage & { url: string; mediaId: string };
      const res = await fetch(new URL(image.url, sim.url));
      expect(res.headers.get('content-type')).to.equal('image/png');
      expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).to.equal(true);
      expect(Buffer.from(await api.getMedia(image.mediaId)).equals(PNG)).to.equal(true);
      alice.socket.close();
    } finally {
      await sim.close();
      await account.close();
      await tmp.remove();
    }
  });

  describe('a customer-service message sent while the push is answered, the server awaiting sendText before its reply', () => {
    it('on lowdb: stored before the call is answered, between the message and the reply, without deadlocking', () => customerServiceDuringPush(() => new LowStore(memoryLocation())));

    describe('with a redis-server of its own', () => {
      const redis = suiteRedis();
      it('on Redis: the same, committed under the lock the push holds', () => customerServiceDuringPush(() => new RedisStore({ url: redis.server.url, prefix: 'during-push:' })));
    });
  });
});

/**
 * The server under test sends a customer-service text while it handles a push, awaits it, then reads the user's
 * history on the simulator and says in its passive reply whether the text was stored by then.
 */
async function customerServiceDuringPush(makeStore: () => ChatStore): Promise<void> {
  let stored: Token = null;
  const api = new API(APPID, SECRET, async () => stored, async (token: Token) => void (stored = token));
  let sim: Simulator | undefined;
  // The server awaits sendText before its passive reply, then looks at what the simulator keeps: the user's history.
  const account = await accountServer((message, res) => {
    if (message.MsgType !== 'text') return res.reply('');
    void (async () => {
      try {
        await api.sendText(message.FromUserName, 'customer service first');
        const { body } = await http(`${sim!.url}/api/messages?userId=alice`, 'GET');
        const texts = (body.messages as StoredMessage[]).map((m) => (m as { text?: string }).text);
        res.reply(texts.includes('customer service first') ? 'the API call was answered after the message was stored' : `not stored yet: ${texts.join(' | ')}`);
      } catch (err) {
        res.reply(`sendText failed: ${(err as Error).message}`);
      }
    })();
  });
  sim = await platformSimulatorOn(makeStore(), account.url);
  api.prefix = `${sim.url}/cgi-bin/`;
  try {
    const alice = await connectUser(sim.url, 'alice');
    const ack = await send(alice.socket, { type: 'text', text: 'hello', clientId: 'during-push' });
    expect(ack).to.have.property('ok', true);
    const exchange = ack as { message: StoredMessage; replies: StoredMessage[] };
    expect(exchange.replies.map((m) => (m as { text?: string }).text)).to.deep.equal(['the API call was answered after the message was stored']);
    const history = (await http(`${sim.url}/api/messages?userId=alice`, 'GET')).body.messages as StoredMessage[];
    // The user's message, then the customer-service message, then the passive reply; the message keeps its trace.
    expect(history.map((m) => [m.from, (m as { text?: string }).text])).to.deep.equal([
      ['user', 'hello'],
      ['bot', 'customer service first'],
      ['bot', 'the API call was answered after the message was stored'],
    ]);
    expect(history[0]).to.deep.equal(exchange.message);
    expect(exchange.message).to.have.nested.property('trace.wechat.outcome', 'replied');
    // The same clientId again: the first answer, nothing stored again.
    expect(await send(alice.socket, { type: 'text', text: 'hello', clientId: 'during-push' })).to.deep.equal(ack);
    expect((await http(`${sim.url}/api/messages?userId=alice`, 'GET')).body.messages).to.have.length(3);
    alice.socket.close();
  } finally {
    await sim.close();
    await account.close();
  }
}
