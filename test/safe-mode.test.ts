// Safe mode (encrypt_type=aes) both ways, checked against node-webot's `wechat-crypto` and `wechat` middleware:
// code no one here wrote decides whether our encryption, signatures and envelopes are right.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import wechat from 'wechat';
import WXBizMsgCrypt from 'wechat-crypto';
import { connect } from '../client/sdk/bot-client.ts';
import { type App } from '../server/app/app.ts';
import { openApp } from '../server/app/start.ts';
import { silentLogger } from '../server/logger.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { decryptXml, DecryptError, encryptXml, msgSignature } from '../server/wechat/crypto.ts';
import { openIdOf, remoteResponder, SERVICE_UNAVAILABLE, type TargetOptions, type WechatTrace } from '../server/wechat/remote-bot.ts';
import { field, parseWechatXml } from '../server/wechat/xml.ts';
import { http, seedContent } from './helpers.ts';
import { post, signedUrl, textXml } from './wechat-helpers.ts';

const TOKEN = 'safe-token';
const APPID = 'wx1234567890abcdef';
const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const OTHER_KEY = 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut';
const theirs = new WXBizMsgCrypt(TOKEN, KEY, APPID);

describe('safe mode: the cipher against wechat-crypto', () => {
  const messages = ['<xml><Content><![CDATA[hello]]></Content></xml>', '微信支付'.repeat(300), '', 'x'.repeat(31), 'x'.repeat(32)];

  it('what we encrypt, wechat-crypto decrypts, with the appid at the end', () => {
    for (const xml of messages) expect(theirs.decrypt(encryptXml(xml, KEY, APPID))).to.deep.equal({ message: xml, id: APPID });
  });

  it('what wechat-crypto encrypts, we decrypt, and give back its appid', () => {
    for (const xml of messages) expect(decryptXml(theirs.encrypt(xml), KEY)).to.deep.equal({ xml, appId: APPID });
  });

  it('signs as wechat-crypto does', () => {
    const encrypted = encryptXml('<xml/>', KEY, APPID);
    expect(msgSignature(TOKEN, '1700000000', '12345', encrypted)).to.equal(theirs.getSignature('1700000000', '12345', encrypted));
  });

  it('refuses what another key encrypted, or damaged text, with a DecryptError', () => {
    const other = new WXBizMsgCrypt(TOKEN, OTHER_KEY, APPID);
    for (const xml of messages) expect(() => decryptXml(other.encrypt(xml), KEY)).to.throw(DecryptError);
    expect(() => decryptXml('bm90IGJsb2Nrcw==', KEY)).to.throw(DecryptError, /whole AES blocks/);
    expect(() => decryptXml('', KEY)).to.throw(DecryptError);
  });
});

/** A push to /wechat as the platform makes it in safe mode, built with wechat-crypto. */
function safePush(base: string, plainXml: string, options: { compatible?: boolean; signWith?: WXBizMsgCrypt; crypt?: WXBizMsgCrypt } = {}) {
  const crypt = options.crypt ?? theirs;
  const encrypted = crypt.encrypt(plainXml);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = '1234567890';
  const msg_signature = (options.signWith ?? crypt).getSignature(timestamp, nonce, encrypted);
  const body = options.compatible
    ? plainXml.replace('</xml>', `<Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`)
    : `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`;
  const url = `${base}/wechat?${new URLSearchParams({ timestamp, nonce, encrypt_type: 'aes', msg_signature })}`;
  return post(url, body);
}

/** Opens our encrypted answer with wechat-crypto, checking its MsgSignature; the plain reply's fields. */
function openAnswer(text: string) {
  const envelope = parseWechatXml(text);
  const encrypted = field(envelope, 'Encrypt')!;
  expect(field(envelope, 'MsgSignature')).to.equal(theirs.getSignature(field(envelope, 'TimeStamp')!, field(envelope, 'Nonce')!, encrypted));
  expect(Number(field(envelope, 'TimeStamp'))).to.be.closeTo(Date.now() / 1000, 60);
  const { message, id } = theirs.decrypt(encrypted);
  expect(id).to.equal(APPID);
  return parseWechatXml(message);
}

describe('safe mode: our /wechat, with WECHAT_AES_KEY and WECHAT_APPID', () => {
  let app: App;
  let url: string;
  before(async () => {
    app = await openApp({ store: memoryStore(), content: seedContent(), logger: silentLogger, wechat: { token: TOKEN, aesKey: KEY, appId: APPID } });
    url = await app.listen(0, '127.0.0.1');
  });
  after(() => app.close());
  const history = async (userId: string) => (await http(`${url}/api/messages?userId=${userId}`, 'GET')).body.messages as unknown[];

  it('decrypts a safe-mode push and answers it encrypted', async () => {
    const res = await safePush(url, textXml('oSafe_1', 'help', '3001'));
    expect(res.status).to.equal(200);
    expect(res.text).not.to.include('How to use');
    const reply = openAnswer(res.text);
    expect(field(reply, 'ToUserName')).to.equal('oSafe_1');
    expect(field(reply, 'Content')).to.match(/^How to use/);
    expect(await history('oSafe_1')).to.have.length(2);
  });

  it('in compatible mode (plain fields and Encrypt) reads the encrypted copy and answers encrypted', async () => {
    const res = await safePush(url, textXml('oSafe_2', 'games', '3002'), { compatible: true });
    const reply = openAnswer(res.text);
    expect(field(reply, 'MsgType')).to.equal('news');
    expect(await history('oSafe_2')).to.have.length(2);
  });

  it('refuses a forged msg_signature with 401 and stores nothing', async () => {
    const res = await safePush(url, textXml('oSafe_3', 'help', '3003'), { signWith: new WXBizMsgCrypt('not-the-token', KEY, APPID) });
    expect(res.status).to.equal(401);
    expect(JSON.parse(res.text).error.message).to.match(/msg_signature/);
    expect(await history('oSafe_3')).to.deep.equal([]);
  });

  it('refuses a message for another appid (401) or under another key (400), and stores nothing', async () => {
    const otherApp = await safePush(url, textXml('oSafe_4', 'help', '3004'), { crypt: new WXBizMsgCrypt(TOKEN, KEY, 'wx_someone_else') });
    expect(otherApp.status).to.equal(401);
    expect(JSON.parse(otherApp.text).error.message).to.match(/wx_someone_else/);
    const otherKey = await safePush(url, textXml('oSafe_4', 'help', '3005'), { crypt: new WXBizMsgCrypt(TOKEN, OTHER_KEY, APPID) });
    expect(otherKey.status).to.equal(400);
    expect(JSON.parse(otherKey.text).error.message).to.match(/does not decrypt/);
    expect(await history('oSafe_4')).to.deep.equal([]);
  });

  it('still takes plaintext pushes (the mode is the platform\'s setting), and URL verification stays plain', async () => {
    const plain = await post(signedUrl(url, TOKEN), textXml('oSafe_5', 'help', '3006'));
    expect(field(parseWechatXml(plain.text), 'Content')).to.match(/^How to use/);
    const verify = await fetch(signedUrl(url, TOKEN, { echostr: 'echo-42' }));
    expect(await verify.text()).to.equal('echo-42');
  });

  it('answers `success` in the clear: it means nothing to say in every mode', async () => {
    const res = await safePush(url, `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oSafe_6]]></FromUserName><CreateTime>1700000500</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event></xml>`);
    expect(res).to.deep.equal({ status: 200, text: 'success' });
  });

  it('says what to configure when a safe-mode push comes without WECHAT_AES_KEY', async () => {
    const plainOnly = await openApp({ store: memoryStore(), content: seedContent(), logger: silentLogger, wechat: { token: TOKEN } });
    const plainUrl = await plainOnly.listen(0, '127.0.0.1');
    const res = await safePush(plainUrl, textXml('oSafe_7', 'help', '3007'));
    expect(res.status).to.equal(400);
    expect(JSON.parse(res.text).error.message).to.match(/WECHAT_AES_KEY/);
    await plainOnly.close();
  });
});

async function simulator(target: Partial<TargetOptions> & { url: string }) {
  const app = await openApp({
    store: memoryStore(),
    content: seedContent(),
    logger: silentLogger,
    responder: remoteResponder({ token: TOKEN, appId: APPID, aesKey: KEY, timeoutMs: 2000, ...target }),
  });
  return { app, url: await app.listen(0, '127.0.0.1') };
}

async function listen(handler: express.Express): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat` };
}

/** The trace stored with the user's last message on the simulator. */
async function lastTrace(simUrl: string, userId: string): Promise<WechatTrace['wechat']> {
  const stored = (await http(`${simUrl}/api/messages?userId=${userId}`, 'GET')).body.messages as Array<{ from: string; trace?: WechatTrace }>;
  return stored.filter((m) => m.from === 'user').at(-1)!.trace!.wechat;
}

describe('safe mode: the simulator with --aes-key in front of node-webot\'s middleware', () => {
  const received: Array<{ query: Record<string, string>; body: string }> = [];
  const bot = (key: string) => {
    const app = express();
    app.use('/wechat', (req, _res, next) => {
      received.push({ query: req.query as Record<string, string>, body: '' });
      next();
    });
    app.use(
      '/wechat',
      wechat({ token: TOKEN, appid: APPID, encodingAESKey: key }, (req: { weixin: Record<string, string> }, res: { reply: (c: unknown) => void; transfer2CustomerService: () => void }) => {
        const message = req.weixin;
        if (message.MsgType === 'event') return res.reply('');
        if (message.Content === 'picture') return res.reply({ type: 'image', content: { mediaId: 'M_picture_1' } });
        if (message.Content === 'song') return res.reply({ title: 'A song', description: 'la la', musicUrl: 'http://example.com/a.mp3', hqMusicUrl: 'http://example.com/a-hq.mp3' });
        if (message.Content === 'agent') return res.transfer2CustomerService();
        return res.reply(`Safely: ${message.Content}`);
      }),
    );
    // What the middleware could not read is a 500 naming its error (quietly: no stack on the test's output).
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => res.status(500).send(err.name));
    return listen(app);
  };

  it('pushes encrypted, which the middleware decrypts; its encrypted replies (millisecond TimeStamp) are shown', async () => {
    const target = await bot(KEY);
    const sim = await simulator({ url: target.url });
    const user = await connect({ url: sim.url, userId: 'safe-user' });
    received.length = 0;
    expect(await user.say('你好 & <b>')).to.have.nested.property('[0].text', 'Safely: 你好 & <b>');
    expect(received[0]!.query).to.include({ encrypt_type: 'aes' });
    expect(received[0]!.query.msg_signature).to.match(/^[0-9a-f]{40}$/);

    const trace = await lastTrace(sim.url, 'safe-user');
    expect(field(parseWechatXml(trace.request), 'Content')).to.equal('你好 & <b>');
    expect(field(parseWechatXml(trace.encrypted!), 'ToUserName')).to.equal('gh_simulator');
    expect(trace.encrypted).not.to.include('你好');
    const envelope = parseWechatXml(trace.attempts[0]!.response!);
    expect(field(envelope, 'TimeStamp')!.length).to.equal(13); // node-webot's milliseconds
    expect(field(parseWechatXml(trace.attempts[0]!.decrypted!), 'ToUserName')).to.equal(openIdOf('safe-user'));

    expect((await user.say('picture'))[0]).to.deep.include({ type: 'image', mediaId: 'M_picture_1', url: '/api/media/M_picture_1' });
    expect(await user.say('song')).to.have.nested.property('[0].url', 'http://example.com/a-hq.mp3');
    expect(await user.say('agent')).to.deep.equal([]);
    user.close();
    await sim.app.close();
    await new Promise<void>((r) => target.server.close(() => r()));
  });

  it('with the wrong key: retried (3 attempts in all), then the notice, and the trace says why', async () => {
    const target = await bot(OTHER_KEY);
    const sim = await simulator({ url: target.url });
    const user = await connect({ url: sim.url, userId: 'wrong-key-user', timeoutMs: 10_000 });
    received.length = 0;
    expect(await user.say('hello')).to.have.nested.property('[0].text', SERVICE_UNAVAILABLE);
    expect(received).to.have.length(3);
    const trace = await lastTrace(sim.url, 'wrong-key-user');
    expect(trace.outcome).to.equal('failed');
    expect(trace.attempts).to.have.length(3);
    // The middleware cannot read the push: it refuses it or fails, and the trace shows which.
    for (const a of trace.attempts) expect(a.error).to.match(/^HTTP (401|500): (Invalid appid|BadMessage)/);
    expect(trace.attempts[0]!.response).to.match(/Invalid appid|BadMessage/);
    user.close();
    await sim.app.close();
    await new Promise<void>((r) => target.server.close(() => r()));
  });
});

describe('safe mode: replies the simulator cannot use are retried, saying why', () => {
  const cases: Array<[string, (plain: string) => string, RegExp]> = [
    ['encrypted with another key', (plain) => envelope(new WXBizMsgCrypt(TOKEN, OTHER_KEY, APPID), plain), /does not decrypt/],
    ['with a forged MsgSignature', (plain) => envelope(theirs, plain).replace(/<MsgSignature><!\[CDATA\[[0-9a-f]+/, '<MsgSignature><![CDATA[0000'), /MsgSignature does not match/],
    ['encrypted for another appid', (plain) => envelope(new WXBizMsgCrypt(TOKEN, KEY, 'wx_other'), plain), /appid "wx_other"/],
    ['in plaintext', (plain) => plain, /plain reply/],
  ];
  for (const [what, answer, why] of cases) {
    it(`a reply ${what}`, async () => {
      let count = 0;
      const app = express();
      app.post('/wechat', express.text({ type: () => true }), (req, res) => {
        count++;
        const push = theirs.decrypt(field(parseWechatXml(req.body as string), 'Encrypt')!).message;
        const from = field(parseWechatXml(push), 'FromUserName')!;
        res.type('text/xml').send(answer(`<xml><ToUserName><![CDATA[${from}]]></ToUserName><FromUserName><![CDATA[gh_x]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content></xml>`));
      });
      const target = await listen(app);
      const sim = await simulator({ url: target.url, timeoutMs: 2000 });
      const user = await connect({ url: sim.url, userId: 'u1', timeoutMs: 10_000 });
      count = 0;
      expect(await user.say('hello')).to.have.nested.property('[0].text', SERVICE_UNAVAILABLE);
      expect(count).to.equal(3);
      const trace = await lastTrace(sim.url, 'u1');
      expect(trace.attempts[0]!.error).to.match(/^unusable encrypted reply: /).and.to.match(why);
      user.close();
      await sim.app.close();
      await new Promise<void>((r) => target.server.close(() => r()));
    });
  }
});

/** An encrypted reply as node-webot builds one, TimeStamp in milliseconds. */
function envelope(crypt: WXBizMsgCrypt, plain: string): string {
  const encrypted = crypt.encrypt(plain);
  const timestamp = String(Date.now());
  const nonce = '987654';
  return `<xml><Encrypt><![CDATA[${encrypted}]]></Encrypt><MsgSignature><![CDATA[${crypt.getSignature(timestamp, nonce, encrypted)}]]></MsgSignature><TimeStamp>${timestamp}</TimeStamp><Nonce><![CDATA[${nonce}]]></Nonce></xml>`;
}

describe('safe mode: the simulator in front of our own /wechat, both in safe mode', () => {
  it('chats encrypted end to end', async () => {
    const bot = await openApp({ store: memoryStore(), content: seedContent(), logger: silentLogger, wechat: { token: TOKEN, aesKey: KEY, appId: APPID } });
    const botUrl = await bot.listen(0, '127.0.0.1');
    const sim = await simulator({ url: `${botUrl}/wechat` });
    const user = await connect({ url: sim.url, userId: 'both-safe' });
    expect((user.history[0] as { text: string }).text).to.match(/^Welcome/);
    expect(await user.say('help')).to.have.nested.property('[0].text').that.matches(/^How to use/);
    const trace = await lastTrace(sim.url, 'both-safe');
    expect(trace.attempts).to.have.length(1);
    expect(trace.attempts[0]!.response).to.include('<Encrypt>');
    user.close();
    await sim.app.close();
    await bot.close();
  });
});
