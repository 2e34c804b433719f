// Mass messages against code no one here wrote: co-wechat-api and wechat-api send to all, by tag and to an
// OpenID list (text, image, voice, mpnews from media/uploadnews), preview, get and delete; each follower's chat
// gets the message (live in an open window) and a server built with `wechat` gets MASSSENDJOBFINISH with the counts.
import { promisify } from 'node:util';
import { expect } from 'chai';
import API from 'co-wechat-api';
import WechatAPI from 'wechat-api';
import type { StoredMessage } from '../server/contract.ts';
import { openIdOf } from '../server/wechat/remote-bot.ts';
import { connectUser, http, rejection, send, until } from './helpers.ts';
import { accountServer, APPID, PNG, platformSimulator, SECRET, type WeixinMessage } from './platform-helpers.ts';

const AMR = Buffer.concat([Buffer.from('#!AMR\n'), Buffer.alloc(64, 0x3c)]);

describe('mass messages', () => {
  it('sends to all, by tag and to a list, in text, image, voice and mpnews; chats get them and the server gets MASSSENDJOBFINISH with the counts', async () => {
    const finished: WeixinMessage[] = [];
    const account = await accountServer((message, res) => {
      if (message.Event === 'MASSSENDJOBFINISH') finished.push(message);
      res.reply('');
    });
    const sim = await platformSimulator(account.url);
    const api = new API(APPID, SECRET);
    api.prefix = `${sim.url}/cgi-bin/`;
    const legacy = new WechatAPI(APPID, SECRET);
    legacy.endpoint = sim.url;
    const call = <T>(method: string, ...args: unknown[]) => promisify<T>((legacy as any)[method].bind(legacy, ...args))();
    const historyOf = async (userId: string): Promise<StoredMessage[]> => (await http(`${sim.url}/api/messages?userId=${userId}`, 'GET')).body.messages;
    const lastOf = async (userId: string) => (await historyOf(userId)).at(-1) as StoredMessage & Record<string, unknown>;
    // co-wechat-api reads msg_id as a BigNumber (json-bigint): compared as text.
    const finishedFor = async (msgId: unknown) => {
      await until(() => finished.some((m) => m.MsgID === String(msgId)), 5000);
      return finished.find((m) => m.MsgID === String(msgId))!;
    };
    try {
      const names = ['ann', 'ben', 'cat', 'dan'];
      const users: Array<Awaited<ReturnType<typeof connectUser>>> = [];
      for (const name of names) users.push(await connectUser(sim.url, name));
      const [ann, ben, cat, dan] = names.map(openIdOf) as [string, string, string, string];
      await send(users[3]!.socket, { type: 'event', event: 'unsubscribe' });
      for (const user of users.slice(1)) user.socket.close();
      const vip = (await api.createTags('vip')).tag.id;
      await api.batchTagging([ann, ben], vip);

      // To all: the three who follow; ann's open window gets it live.
      const toAll = await api.massSendText('Hello, followers', true);
      expect(toAll).to.include({ errcode: 0 });
      expect(String(toAll.msg_id)).to.match(/^\d+$/);
      expect(await finishedFor(toAll.msg_id)).to.include({ Status: 'send success', TotalCount: '3', FilterCount: '3', SentCount: '3', ErrorCount: '0', FromUserName: 'mphelper' });
      await until(() => users[0]!.received.some((m) => (m as { text?: string }).text === 'Hello, followers'));
      expect(await lastOf('ben')).to.include({ type: 'text', text: 'Hello, followers', from: 'bot' });
      expect((await lastOf('dan')).text).to.not.equal('Hello, followers');
      expect(await api.getMassMessageStatus(toAll.msg_id)).to.deep.include({ msg_status: 'SEND_SUCCESS' });

      // By tag, with wechat-api (which still says group_id).
      const byTag = await call<any>('massSendText', 'VIPs only', vip);
      expect(await finishedFor(byTag.msg_id)).to.include({ TotalCount: '2', SentCount: '2' });
      expect((await lastOf('cat')).text).to.equal('Hello, followers');
      expect((await lastOf('ben')).text).to.equal('VIPs only');

      // To a list: dan unfollowed, so filtered out.
      const toList = await api.massSendText('Just you two', [ann, dan]);
      expect(await finishedFor(toList.msg_id)).to.include({ TotalCount: '2', FilterCount: '1', SentCount: '1', ErrorCount: '0' });

      // Image, voice and mpnews.
      const image = await api.uploadMedia(PNG, 'image', 'dot.png', 'image/png');
      const pictured = await api.massSendImage(image.media_id, [ann, ben]);
      await finishedFor(pictured.msg_id);
      expect(await lastOf('ben')).to.include({ type: 'image', mediaId: image.media_id });
      const voice = await api.uploadMedia(AMR, 'voice', 'hi.amr', 'audio/amr');
      const voiced = await api.massSendVoice(voice.media_id, vip);
      await finishedFor(voiced.msg_id);
      expect(await lastOf('ann')).to.include({ type: 'voice', mediaId: voice.media_id });
      const news = await api.uploadNews({ articles: [{ thumb_media_id: image.media_id, title: 'Spring sale', author: 'The team', digest: 'Everything half price', content: '<p>Come <b>early</b>.</p><script>alert(1)</script>', content_source_url: 'https://example.com/sale' }] });
      expect(news).to.include({ type: 'news' });
      const sale = await api.massSendNews(news.media_id, true);
      expect(String(sale.msg_data_id)).to.match(/^\d+$/);
      await finishedFor(sale.msg_id);
      const card = await lastOf('cat');
      expect(card.type).to.equal('news');
      const [article] = (card as unknown as { articles: Array<{ title: string; description: string; url: string }> }).articles;
      expect(article).to.include({ title: 'Spring sale', description: 'Everything half price' });
      const page = await fetch(`${sim.url}${article!.url}`);
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-security-policy')).to.match(/^sandbox/);
      expect(await page.text()).to.include('<b>early</b>');

      // Preview reaches one follower, with no job event.
      const events = finished.length;
      await api.previewText(ben, 'Preview for the editor');
      expect((await lastOf('ben')).text).to.equal('Preview for the editor');
      await call('previewText', cat, 'Preview two');
      expect((await lastOf('cat')).text).to.equal('Preview two');
      await new Promise((r) => setTimeout(r, 50));
      expect(finished.length).to.equal(events);

      await api.deleteMass(toAll.msg_id);
      expect(await api.getMassMessageStatus(toAll.msg_id)).to.deep.include({ msg_status: 'DELETE' });
      users[0]!.socket.close();
    } finally {
      await sim.close();
      await account.close();
    }
  });

  it('refuses an empty tag, an unknown tag, one OpenID, unknown media and types with the platform’s codes, sending nothing', async () => {
    const finished: WeixinMessage[] = [];
    const account = await accountServer((message, res) => {
      if (message.Event === 'MASSSENDJOBFINISH') finished.push(message);
      res.reply('');
    });
    const sim = await platformSimulator(account.url);
    const api = new API(APPID, SECRET);
    api.prefix = `${sim.url}/cgi-bin/`;
    try {
      const ann = await connectUser(sim.url, 'ann');
      const code = async (promise: Promise<unknown>) => (await rejection(promise)).code;
      const empty = (await api.createTags('nobody')).tag.id;
      expect(await code(api.massSendText('x', empty))).to.equal(40130);
      expect(await code(api.massSendText('x', 9999))).to.equal(45159);
      expect(await code(api.massSendText('x', [openIdOf('ann')]))).to.equal(40130);
      expect(await code(api.massSendImage('no-such-media', true))).to.equal(40007);
      expect(await code(api.massSendNews('no-such-news', true))).to.equal(40007);
      expect(await code(api.massSend({ msgtype: 'wxcard', wxcard: { card_id: 'x' } }, true))).to.equal(40008);
      expect(await code(api.massSendText('x'.repeat(3000), true))).to.equal(45002);
      expect(await code(api.getMassMessageStatus(123))).to.equal(40097);
      expect(await code(api.uploadNews({ articles: [{ thumb_media_id: 'nope', title: 't', content: 'c' }] }))).to.equal(40007);
      await new Promise((r) => setTimeout(r, 50));
      expect(finished).to.deep.equal([]);
      expect((await http(`${sim.url}/api/messages?userId=ann`, 'GET')).body.messages).to.deep.equal([]);
      ann.socket.close();
    } finally {
      await sim.close();
      await account.close();
    }
  });
});
