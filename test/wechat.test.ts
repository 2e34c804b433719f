// The bot as an official-account server on /wechat, over loopback, with the platform's own message shapes.
import { expect } from 'chai';
import { XMLParser } from 'fast-xml-parser';
import { createApp } from '../server/app.ts';
import { silentLogger } from '../server/logger.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { http, seedContent } from './helpers.ts';
import { eventXml, post, signedUrl, textXml } from './wechat-helpers.ts';

const TOKEN = 'test-token';
const parse = (xml: string) => new XMLParser({ parseTagValue: false, isArray: (_n, j) => j === 'xml.Articles.item' }).parse(xml).xml;

async function start(options: { token?: string; deadlineMs?: number; store?: ChatStore } = {}) {
  const app = await createApp({
    store: options.store ?? memoryStore(),
    content: seedContent(),
    logger: silentLogger,
    wechat: { token: 'token' in options ? options.token : TOKEN, deadlineMs: options.deadlineMs },
  });
  const url = await app.listen(0, '127.0.0.1');
  return { app, url };
}

describe('/wechat: the bot as an official-account server', () => {
  let server: Awaited<ReturnType<typeof start>>;
  before(async () => {
    server = await start();
  });
  after(() => server.app.close());
  const history = async (userId: string) => (await http(`${server.url}/api/messages?userId=${userId}`, 'GET')).body.messages as Array<{ from: string; type: string }>;

  it('verifies the URL: the right signature echoes echostr, anything else is 401', async () => {
    const ok = await fetch(signedUrl(server.url, TOKEN, { echostr: 'hello-echo-123' }));
    expect(ok.status).to.equal(200);
    expect(await ok.text()).to.equal('hello-echo-123');
    const forged = await fetch(signedUrl(server.url, 'wrong-token', { echostr: 'x' }));
    expect(forged.status).to.equal(401);
    const missing = await fetch(`${server.url}/wechat?echostr=x`);
    expect(missing.status).to.equal(401);
  });

  it('answers a text message as the platform documents it with a passive text reply', async () => {
    const res = await post(signedUrl(server.url, TOKEN), textXml('oUser_1', 'help', '1234567890123456'));
    expect(res.status).to.equal(200);
    const reply = parse(res.text);
    expect(reply).to.include({ ToUserName: 'oUser_1', FromUserName: 'gh_account', MsgType: 'text' });
    expect(Number(reply.CreateTime)).to.be.closeTo(Date.now() / 1000, 60);
    expect(reply.Content).to.match(/^How to use/);
    expect(res.text).to.include('<![CDATA[How to use');
  });

  it('answers a keyword with one news article whose links are absolute', async () => {
    const res = await post(signedUrl(server.url, TOKEN), textXml('oUser_2', '支付', '1001'));
    const reply = parse(res.text);
    expect(reply.MsgType).to.equal('news');
    expect(reply.ArticleCount).to.equal('1');
    expect(reply.Articles.item[0]).to.include({ Title: 'Activate Mobile Payment', Url: `${server.url}/#/sections/payment` });
  });

  it('sends up to 8 articles for events but only one for a user\'s message', async () => {
    const articles = Array.from({ length: 3 }, (_, i) => ({ title: `Card ${i + 1}`, description: 'd', url: `/#/sections/games` }));
    const created = await http(`${server.url}/api/rules`, 'POST', {
      id: 'three-cards',
      name: 'Three cards',
      keywords: [{ text: 'three cards', match: 'equal' }],
      replies: [{ type: 'news', articles }],
    });
    expect(created.status).to.equal(201);
    const click = parse((await post(signedUrl(server.url, TOKEN), eventXml('oUser_3', 'CLICK', 1700000001, 'three-cards'))).text);
    expect(click.ArticleCount).to.equal('3');
    expect(click.Articles.item.map((i: { Title: string }) => i.Title)).to.deep.equal(['Card 1', 'Card 2', 'Card 3']);
    const typed = parse((await post(signedUrl(server.url, TOKEN), textXml('oUser_3', 'three cards', '1002'))).text);
    expect(typed.ArticleCount).to.equal('1');
  });

  it('answers subscribe with the welcome, unsubscribe and VIEW with success', async () => {
    const sub = parse((await post(signedUrl(server.url, TOKEN), eventXml('oUser_4', 'subscribe', 1700000010))).text);
    expect(sub.Content).to.match(/^Welcome to WeChat Business Watch/);
    const unsub = await post(signedUrl(server.url, TOKEN), eventXml('oUser_4', 'unsubscribe', 1700000011));
    expect(unsub).to.deep.equal({ status: 200, text: 'success' });
    const view = await post(signedUrl(server.url, TOKEN), eventXml('oUser_4', 'VIEW', 1700000012, 'https://example.com/page'));
    expect(view).to.deep.equal({ status: 200, text: 'success' });
    const click = parse((await post(signedUrl(server.url, TOKEN), eventXml('oUser_4', 'CLICK', 1700000013, 'section:games'))).text);
    expect(click.Articles.item[0].Title).to.equal('Promoting the development of mobile games');
  });

  const others: Array<[string, string]> = [
    ['image', '<PicUrl><![CDATA[http://example.com/a.jpg]]></PicUrl><MediaId><![CDATA[media_id]]></MediaId><MsgId>2001</MsgId>'],
    ['voice', '<MediaId><![CDATA[media_id]]></MediaId><Format><![CDATA[amr]]></Format><MsgId>2002</MsgId>'],
    ['location', '<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale><Label><![CDATA[位置信息]]></Label><MsgId>2003</MsgId>'],
    ['link', '<Title><![CDATA[公众平台官网链接]]></Title><Description><![CDATA[公众平台官网链接]]></Description><Url><![CDATA[url]]></Url><MsgId>2004</MsgId>'],
  ];
  for (const [type, rest] of others) {
    it(`answers a ${type} message with a polite text`, async () => {
      const xml = `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oUser_5]]></FromUserName><CreateTime>1351776360</CreateTime><MsgType><![CDATA[${type}]]></MsgType>${rest}</xml>`;
      const reply = parse((await post(signedUrl(server.url, TOKEN), xml)).text);
      expect(reply.MsgType).to.equal('text');
      expect(reply.Content).to.match(/only read text/);
    });
  }

  it('answers a retried MsgId the same and stores it once', async () => {
    const xml = textXml('oUser_6', 'games', '5555555555555555555');
    const first = parse((await post(signedUrl(server.url, TOKEN), xml)).text);
    const again = parse((await post(signedUrl(server.url, TOKEN), xml)).text);
    expect(again.Articles).to.deep.equal(first.Articles);
    const event = eventXml('oUser_6', 'CLICK', 1700000100, 'help');
    await post(signedUrl(server.url, TOKEN), event);
    await post(signedUrl(server.url, TOKEN), event);
    const messages = await history('oUser_6');
    expect(messages.filter((m) => m.from === 'user')).to.have.length(2);
    expect(messages).to.have.length(4);
  });

  it('refuses a forged or missing signature with 401 and stores nothing', async () => {
    const forged = await post(signedUrl(server.url, 'not-the-token'), textXml('oUser_7', 'help', '7001'));
    expect(forged.status).to.equal(401);
    const unsigned = await post(`${server.url}/wechat`, textXml('oUser_7', 'help', '7002'));
    expect(unsigned.status).to.equal(401);
    expect(await history('oUser_7')).to.deep.equal([]);
  });

  const bad: Array<[string, string, number]> = [
    ['malformed XML', '<xml><ToUserName>a</FromUserName></xml>', 400],
    ['an empty body', '', 400],
    ['a root that is not <xml>', '<message><Content>hi</Content></message>', 400],
    ['a message without FromUserName', '<xml><ToUserName>a</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>', 400],
    ['an invalid FromUserName', textXml('../../etc/passwd', 'hi', '8001'), 400],
    ['a body over the limit', textXml('oUser_8', 'x'.repeat(100_000), '8002'), 413],
  ];
  for (const [what, body, status] of bad) {
    it(`refuses ${what} with ${status}`, async () => {
      const res = await post(signedUrl(server.url, TOKEN), body);
      expect(res.status).to.equal(status);
      expect(JSON.parse(res.text).error.code).to.be.a('string');
    });
  }

  it('never processes a DTD or an external entity (XXE)', async () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]><xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[oUser_9]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>&secret;</Content><MsgId>9001</MsgId></xml>`;
    const res = await post(signedUrl(server.url, TOKEN), xxe);
    expect(res.status).to.equal(400);
    expect(res.text).not.to.include('root:');
    const bomb = `<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Content>&b;</Content></xml>`;
    expect((await post(signedUrl(server.url, TOKEN), bomb)).status).to.equal(400);
    expect(await history('oUser_9')).to.deep.equal([]);
  });

  it('answers text over 2000 characters with the reason, not an error page', async () => {
    const reply = parse((await post(signedUrl(server.url, TOKEN), textXml('oUser_10', 'y'.repeat(2001), '10001'))).text);
    expect(reply.MsgType).to.equal('text');
    expect(reply.Content).to.match(/at most 2000 characters/);
  });

  it('keeps text replies within 2048 bytes', async () => {
    const longText = '微信支付'.repeat(500); // 6000 bytes
    await http(`${server.url}/api/rules`, 'POST', { id: 'long', name: 'Long', keywords: [{ text: 'long one', match: 'equal' }], replies: [{ type: 'text', text: longText.slice(0, 2000) }] });
    const reply = parse((await post(signedUrl(server.url, TOKEN), textXml('oUser_11', 'long one', '11001'))).text);
    expect(Buffer.byteLength(reply.Content)).to.be.at.most(2048);
  });
});

describe('/wechat: configuration and deadlines', () => {
  it('is off, saying why, when no WECHAT_TOKEN is set', async () => {
    const server = await start({ token: undefined });
    const res = await fetch(signedUrl(server.url, 'anything', { echostr: 'x' }));
    expect(res.status).to.equal(404);
    expect((await res.json()).error.message).to.match(/WECHAT_TOKEN/);
    await server.app.close();
  });

  it('says success when the answer is late, stores it, and gives it to the platform\'s retry', async () => {
    const inner = memoryStore();
    let delayMs = 0;
    const slowStore: ChatStore = Object.assign(Object.create(inner) as ChatStore, {
      commit: async (...args: Parameters<ChatStore['commit']>) => {
        await new Promise((r) => setTimeout(r, delayMs));
        return inner.commit(...args);
      },
    });
    const server = await start({ deadlineMs: 100, store: slowStore });
    delayMs = 400;
    const xml = textXml('oSlow_1', 'games', '424242');
    const first = await post(signedUrl(server.url, TOKEN), xml);
    expect(first).to.deep.equal({ status: 200, text: 'success' });
    await new Promise((r) => setTimeout(r, 500));
    delayMs = 0;
    const retry = parse((await post(signedUrl(server.url, TOKEN), xml)).text);
    expect(retry.Articles.item[0].Title).to.equal('Promoting the development of mobile games');
    const messages = (await http(`${server.url}/api/messages?userId=oSlow_1`, 'GET')).body.messages;
    expect(messages).to.have.length(2);
    await server.app.close();
  });
});
