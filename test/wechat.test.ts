// The bot as an official-account server on /wechat, over loopback, with the platform's own message shapes.
import { expect } from 'chai';
import { XMLParser } from 'fast-xml-parser';
import { pino } from 'pino';
import { openApp } from '../server/app/start.ts';
import type { Outbound } from '../server/contract.ts';
import { silentLogger, type Logger } from '../server/logger.ts';
import { passiveReplyXml } from '../server/wechat/messages.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { http, seedContent, until } from './helpers.ts';
import { eventXml, post, signedUrl, textXml } from './wechat-helpers.ts';

const TOKEN = 'test-token';
const parse = (xml: string) => new XMLParser({ parseTagValue: false, isArray: (_n, j) => j === 'xml.Articles.item' }).parse(xml).xml;

async function start(options: { token?: string; deadlineMs?: number; store?: ChatStore; logger?: Logger } = {}) {
  const app = await openApp({
    store: options.store ?? memoryStore(),
    content: seedContent(),
    logger: options.logger ?? silentLogger,
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
  const history = async (userId: string) => (await http(`${server.url}/api/messages?userId=${userId}`, 'GET')).body.messages as Array<Record<string, unknown> & { from: string; type: string }>;

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

  it('answers subscribe with the welcome, unsubscribe and VIEW with success, and stores the VIEW', async () => {
    const sub = parse((await post(signedUrl(server.url, TOKEN), eventXml('oUser_4', 'subscribe', 1700000010))).text);
    expect(sub.Content).to.match(/^Welcome to WeChat Business Watch/);
    const unsub = await post(signedUrl(server.url, TOKEN), eventXml('oUser_4', 'unsubscribe', 1700000011));
    expect(unsub).to.deep.equal({ status: 200, text: 'success' });
    const view = await post(signedUrl(server.url, TOKEN), eventXml('oUser_4', 'VIEW', 1700000012, 'https://example.com/page'));
    expect(view).to.deep.equal({ status: 200, text: 'success' });
    expect((await history('oUser_4')).find((m) => m.event === 'view')).to.include({ from: 'user', type: 'event', url: 'https://example.com/page' });
    const click = parse((await post(signedUrl(server.url, TOKEN), eventXml('oUser_4', 'CLICK', 1700000013, 'section:games'))).text);
    expect(click.Articles.item[0].Title).to.equal('Promoting the development of mobile games');
  });

  it('stores a picture with its PicUrl and MediaId, and answers it politely', async () => {
    const xml = `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oUser_12]]></FromUserName><CreateTime>1351776360</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://example.com/a.jpg]]></PicUrl><MediaId><![CDATA[media_id]]></MediaId><MsgId>2001</MsgId></xml>`;
    const reply = parse((await post(signedUrl(server.url, TOKEN), xml)).text);
    expect(reply.Content).to.match(/Thanks for the picture/);
    expect((await history('oUser_12'))[0]).to.include({ from: 'user', type: 'image', url: 'http://example.com/a.jpg', mediaId: 'media_id' });
  });

  it('reads a tapped option (bizmsgmenuid) as the text with its optionId', async () => {
    const xml = textXml('oUser_13', 'help', '2101').replace('</xml>', '<bizmsgmenuid>101</bizmsgmenuid></xml>');
    expect(parse((await post(signedUrl(server.url, TOKEN), xml)).text).Content).to.match(/^How to use/);
    expect((await history('oUser_13'))[0]).to.include({ type: 'text', text: 'help', optionId: '101' });
  });

  it('answers events with nothing for the bot (TEMPLATESENDJOBFINISH, LOCATION) with success, storing nothing', async () => {
    for (const [event, time] of [['TEMPLATESENDJOBFINISH', 1700000201], ['LOCATION', 1700000202]] as const) {
      expect(await post(signedUrl(server.url, TOKEN), eventXml('oUser_14', event, time))).to.deep.equal({ status: 200, text: 'success' });
    }
    expect(await history('oUser_14')).to.deep.equal([]);
  });

  const others: Array<[string, string]> = [
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

describe('/wechat: what a passive reply can carry', () => {
  const to = { openId: 'oUser', accountId: 'gh_account', maxCards: 1, baseUrl: 'http://bot.example', now: new Date(1_700_000_000_000) };
  const xml = (reply: Outbound) => parse(passiveReplyXml(reply, to));

  it('image, voice and video with a MediaId as the platform\'s XML', () => {
    expect(xml({ type: 'image', url: '/api/media/M1', mediaId: 'M1' })).to.deep.include({ MsgType: 'image', Image: { MediaId: 'M1' } });
    expect(xml({ type: 'voice', url: '/api/media/M2', mediaId: 'M2' })).to.deep.include({ MsgType: 'voice', Voice: { MediaId: 'M2' } });
    expect(xml({ type: 'video', url: '/api/media/M3', mediaId: 'M3', title: 'T', description: 'D' })).to.deep.include({ MsgType: 'video', Video: { MediaId: 'M3', Title: 'T', Description: 'D' } });
  });

  it('what it cannot carry (media without a MediaId, templates, options) as text', () => {
    expect(xml({ type: 'image', url: '/pics/a.png' })).to.include({ MsgType: 'text', Content: '[image] http://bot.example/pics/a.png' });
    expect(xml({ type: 'voice', url: 'https://cdn.example/v.mp3', title: 'Podcast' })).to.include({ Content: 'Podcast https://cdn.example/v.mp3' });
    const template = xml({ type: 'template', templateId: 'T1', title: 'Order shipped', url: '/orders/1', data: { order: { value: 'A-1' }, eta: { value: 'Friday' } } });
    expect(template.Content).to.equal('Order shipped\norder: A-1\neta: Friday\nhttp://bot.example/orders/1');
    const options = xml({ type: 'options', head: 'Pick one', items: [{ id: '1', text: 'Yes' }, { id: '2', text: 'No' }], tail: 'Thanks' });
    expect(options.Content).to.equal('Pick one\nYes\nNo\nThanks');
  });

  it('blank text as success: an empty Content would be WeChat\'s failure notice', () => {
    expect(passiveReplyXml({ type: 'text', text: '  ' }, to)).to.equal('success');
    expect(passiveReplyXml({ type: 'text', text: '\u0000' }, to)).to.equal('success');
  });
});

describe('/wechat: what is logged when answers fail', () => {
  /** A logger that keeps what it writes at warn and above. */
  const recording = () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    return { logger, lines };
  };

  it('logs nothing for a refusal it answered', async () => {
    const { logger, lines } = recording();
    const server = await start({ logger });
    const reply = parse((await post(signedUrl(server.url, TOKEN), textXml('oLog_1', 'z'.repeat(2001), '12001'))).text);
    expect(reply.Content).to.match(/at most 2000 characters/);
    await new Promise((r) => setTimeout(r, 50));
    expect(lines).to.deep.equal([]);
    await server.app.close();
  });

  it('logs an error when an answer fails after the platform was told success', async () => {
    const { logger, lines } = recording();
    const inner = memoryStore();
    const failingStore: ChatStore = Object.assign(Object.create(inner) as ChatStore, {
      commit: async () => {
        await new Promise((r) => setTimeout(r, 300));
        throw new Error('disk on fire');
      },
    });
    const server = await start({ deadlineMs: 50, store: failingStore, logger });
    expect(await post(signedUrl(server.url, TOKEN), textXml('oLog_2', 'games', '12002'))).to.deep.equal({ status: 200, text: 'success' });
    await until(() => lines.length > 0);
    expect(lines.map((l) => [l.level, l.msg])).to.deep.include([50, 'a WeChat message failed after its deadline: the platform was told success']);
    await server.app.close();
  });
});
