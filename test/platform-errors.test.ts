// The platform API's refusals, call by call, over plain HTTP: the platform's codes, always HTTP 200 and JSON.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Account, StoredMessage, TypingPayload } from '../server/contract.ts';
import { openApp } from '../server/app/start.ts';
import { silentLogger } from '../server/logger.ts';
import { memoryLocation } from '../server/store/low-location.ts';
import { LowStore, memoryStore } from '../server/store/low-store.ts';
import { openIdOf } from '../server/wechat/remote-bot.ts';
import { connectUser, http, send, seedContent, tempDir, until } from './helpers.ts';
import { accessToken, accountServer, APPID, cgi, PNG, platformSimulator, SECRET, type Simulator } from './platform-helpers.ts';

const RID = / rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
const MINUTE = 60_000;

/** Uploads `bytes` as the multipart field `media`. */
async function upload(base: string, token: string, type: string, bytes: Buffer, field = 'media') {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)]), 'file.bin');
  const res = await fetch(`${base}/cgi-bin/media/upload?access_token=${token}&type=${type}`, { method: 'POST', body: form });
  return { status: res.status, body: await res.json() };
}

describe('platform API: the codes of every call', () => {
  let account: Awaited<ReturnType<typeof accountServer>>;
  let sim: Simulator;
  let now: number;
  let token: string;
  before(async () => {
    account = await accountServer((message, res) => res.reply(message.Event === 'subscribe' ? 'hello' : ''));
  });
  after(() => account.close());
  beforeEach(async () => {
    now = Date.now();
    sim = await platformSimulator(account.url, { now: () => now });
    token = await accessToken(sim.url);
  });
  afterEach(() => sim.close());

  const failsWith = async (call: Promise<{ status: number; body: any }>, errcode: number) => {
    const { status, body } = await call;
    expect(status).to.equal(200);
    expect(body.errcode, JSON.stringify(body)).to.equal(errcode);
    expect(body.errmsg).to.match(RID);
    return body.errmsg as string;
  };

  it('GET token: 7200 s; 40002, 40013, 40125; the previous token works 5 more minutes, then 42001', async () => {
    const base = `${sim.url}/cgi-bin/token`;
    await failsWith(http(`${base}?grant_type=password&appid=${APPID}&secret=${SECRET}`, 'GET'), 40002);
    await failsWith(http(`${base}?grant_type=client_credential&appid=wxother&secret=${SECRET}`, 'GET'), 40013);
    await failsWith(http(`${base}?grant_type=client_credential&appid=${APPID}&secret=wrong`, 'GET'), 40125);
    const fresh = await http(`${base}?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`, 'GET');
    expect(fresh.body.expires_in).to.equal(7200);
    expect(fresh.body.access_token).to.not.equal(token);
    now += 5 * MINUTE - 1000;
    expect((await cgi(sim.url, 'menu/delete', token)).body.errcode).to.equal(0);
    now += 2000;
    await failsWith(cgi(sim.url, 'menu/delete', token), 42001);
    expect((await cgi(sim.url, 'menu/delete', fresh.body.access_token)).body.errcode).to.equal(0);
    now += 7200 * 1000;
    await failsWith(cgi(sim.url, 'menu/delete', fresh.body.access_token), 42001);
  });

  it('POST stable_token: the same token until 5 minutes before it expires; force_refresh ends it', async () => {
    const stable = (body: object) => http(`${sim.url}/cgi-bin/stable_token`, 'POST', { grant_type: 'client_credential', appid: APPID, secret: SECRET, ...body });
    await failsWith(stable({ secret: 'wrong' }), 40125);
    const first = (await stable({})).body;
    expect(first.expires_in).to.equal(7200);
    now += 10 * MINUTE;
    const again = (await stable({ force_refresh: false })).body;
    expect(again.access_token).to.equal(first.access_token);
    expect(again.expires_in).to.equal(7200 - 600);
    now += 7200 * 1000 - 14 * MINUTE; // 4 minutes left: renewed
    const renewed = (await stable({})).body;
    expect(renewed.access_token).to.not.equal(first.access_token);
    expect((await cgi(sim.url, 'menu/delete', first.access_token)).body.errcode).to.equal(0);
    const forced = (await stable({ force_refresh: true })).body;
    expect(forced.access_token).to.not.equal(renewed.access_token);
    await failsWith(cgi(sim.url, 'menu/delete', renewed.access_token), 42001);
  });

  it('every other call: 41001 without a token, 40001 for one never issued', async () => {
    for (const path of ['menu/get', 'user/info?openid=x', 'media/get?media_id=x']) {
      await failsWith(cgi(sim.url, path, undefined), 41001);
      await failsWith(cgi(sim.url, path, 'made-up'), 40001);
    }
    for (const path of ['message/custom/send', 'message/custom/typing', 'menu/create', 'message/template/send']) {
      await failsWith(cgi(sim.url, path, undefined, {}), 41001);
      await failsWith(cgi(sim.url, path, 'made-up', {}), 40001);
    }
  });

  it('JSON for everything: malformed bodies 47001, an empty one 44002, unknown paths 48001, the wrong method 43001/43002', async () => {
    await failsWith(cgi(sim.url, 'menu/create', token, '{"button": ['), 47001);
    await failsWith(http(`${sim.url}/cgi-bin/menu/create?access_token=${token}`, 'POST'), 44002);
    expect(await failsWith(cgi(sim.url, 'no/such/call', token), 48001)).to.include('/cgi-bin/no/such/call');
    await failsWith(cgi(sim.url, 'menu/create', token), 43002);
    await failsWith(cgi(sim.url, 'menu/get', token, {}), 43001);
  });

  it('message/custom/send: every message type in the chat; 40003, 40008, 47001, 40007, 45008, 45015, 45047', async () => {
    const alice = await connectUser(sim.url, 'alice');
    const openid = openIdOf('alice');
    const custom = (body: object) => cgi(sim.url, 'message/custom/send', token, { touser: openid, ...body });
    await failsWith(cgi(sim.url, 'message/custom/send', token, { touser: 'o_nobody', msgtype: 'text', text: { content: 'hi' } }), 40003);
    await failsWith(custom({ msgtype: 'mpnews', mpnews: { media_id: 'x' } }), 40008);
    await failsWith(custom({ msgtype: 'text', text: {} }), 47001);
    await failsWith(custom({ msgtype: 'image', image: { media_id: 'Mnothing' } }), 40007);
    const article = { title: 'T', description: 'D', url: 'http://example.com/', picurl: 'http://example.com/p.png' };
    await failsWith(custom({ msgtype: 'news', news: { articles: [article, article] } }), 45008);

    // The subscribe event opened the window for 3 messages; a user message for 5.
    const menu = { head_content: 'Rate us', list: [{ id: '101', content: 'Good' }, { id: '102', content: 'Bad' }], tail_content: 'Thanks' };
    expect((await custom({ msgtype: 'text', text: { content: 'one' } })).body).to.deep.equal({ errcode: 0, errmsg: 'ok' });
    expect((await custom({ msgtype: 'news', news: { articles: [article] } })).body.errcode).to.equal(0);
    expect((await custom({ msgtype: 'msgmenu', msgmenu: menu })).body.errcode).to.equal(0);
    expect(await failsWith(custom({ msgtype: 'text', text: { content: 'four' } }), 45047)).to.include('3');
    await until(() => alice.received.length === 3);
    expect(alice.received.map(({ id, userId, createdAt, trace, ...rest }) => rest)).to.deep.equal([
      { type: 'text', text: 'one', from: 'bot' },
      { type: 'news', articles: [{ title: 'T', description: 'D', url: 'http://example.com/', picUrl: 'http://example.com/p.png' }], from: 'bot' },
      { type: 'options', head: 'Rate us', items: [{ id: '101', text: 'Good' }, { id: '102', text: 'Bad' }], tail: 'Thanks', from: 'bot' },
    ]);
    now += 1000; // the user writes a second later: a new window, counted from then
    expect(await send(alice.socket, { type: 'text', text: 'hi' })).to.have.property('ok', true);
    for (let i = 0; i < 5; i++) expect((await custom({ msgtype: 'text', text: { content: `n${i}` } })).body.errcode).to.equal(0);
    await failsWith(custom({ msgtype: 'text', text: { content: 'n5' } }), 45047);
    now += 48 * 60 * MINUTE + 1000;
    token = await accessToken(sim.url);
    await failsWith(custom({ msgtype: 'text', text: { content: 'late' } }), 45015);
    const history = (await http(`${sim.url}/api/messages?userId=alice`, 'GET')).body.messages as StoredMessage[];
    expect(history.filter((m) => m.from === 'bot').map((m) => (m as { text?: string }).text)).to.deep.equal(['hello', 'one', undefined, undefined, 'n0', 'n1', 'n2', 'n3', 'n4']);
    alice.socket.close();
  });

  it('images from media/upload, in the chat; a picture is no voice; 40004, 40005, 40012, 41005; media/get returns the bytes or 40007', async () => {
    const alice = await connectUser(sim.url, 'alice');
    await failsWith(upload(sim.url, token, 'gif', PNG), 40004);
    await failsWith(upload(sim.url, token, 'image', Buffer.from('not a picture at all')), 40005);
    await failsWith(upload(sim.url, token, 'thumb', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(64 * 1024)])), 40012);
    await failsWith(upload(sim.url, token, 'image', PNG, 'file'), 41005);
    const uploaded = await upload(sim.url, token, 'image', PNG);
    expect(uploaded.body).to.include({ type: 'image' });
    expect(uploaded.body.created_at).to.equal(Math.floor(now / 1000));
    const got = await fetch(`${sim.url}/cgi-bin/media/get?access_token=${token}&media_id=${uploaded.body.media_id}`);
    expect(Buffer.from(await got.arrayBuffer()).equals(PNG)).to.equal(true);
    await failsWith(cgi(sim.url, 'media/get?media_id=Mnothing', token), 40007);
    // A picture is not a voice.
    await failsWith(cgi(sim.url, 'message/custom/send', token, { touser: openIdOf('alice'), msgtype: 'voice', voice: { media_id: uploaded.body.media_id } }), 40007);
    expect((await cgi(sim.url, 'message/custom/send', token, { touser: openIdOf('alice'), msgtype: 'image', image: { media_id: uploaded.body.media_id } })).body.errcode).to.equal(0);
    await until(() => alice.received.length === 1);
    expect(alice.received[0]).to.deep.include({ type: 'image', mediaId: uploaded.body.media_id, url: `/api/media/${uploaded.body.media_id}` });
    now += 3 * 24 * 60 * MINUTE;
    token = await accessToken(sim.url);
    await failsWith(cgi(sim.url, `media/get?media_id=${uploaded.body.media_id}`, token), 40007);
    alice.socket.close();
  });

  it('message/custom/typing: the indicator on, off with the next message or CancelTyping', async () => {
    const alice = await connectUser(sim.url, 'alice');
    const typing: boolean[] = [];
    alice.socket.on('typing', (p: TypingPayload) => typing.push(p.on));
    const command = (c: string) => cgi(sim.url, 'message/custom/typing', token, { touser: openIdOf('alice'), command: c });
    await failsWith(command('Dancing'), 47001);
    await failsWith(cgi(sim.url, 'message/custom/typing', token, { touser: 'o_nobody', command: 'Typing' }), 40003);
    expect((await command('Typing')).body.errcode).to.equal(0);
    await cgi(sim.url, 'message/custom/send', token, { touser: openIdOf('alice'), msgtype: 'text', text: { content: 'done' } });
    await command('Typing');
    await command('CancelTyping');
    await until(() => typing.length === 4);
    expect(typing).to.deep.equal([true, false, true, false]);
    alice.socket.close();
  });

  it('menu/create checks as the platform does (40016–40027); menu/get 46003 without one; menu/delete redraws an empty menu', async () => {
    const click = (name: string, key = 'k') => ({ type: 'click', name, key });
    const create = (button: unknown) => cgi(sim.url, 'menu/create', token, { button });
    await failsWith(create([]), 40016);
    await failsWith(create([click('a'), click('b'), click('c'), click('d')]), 40016);
    await failsWith(create([{ type: 'dance', name: 'a' }]), 40017);
    await failsWith(create([click('一二三四五六')]), 40018); // 18 bytes of UTF-8, over 16
    await failsWith(create([click('a', 'k'.repeat(129))]), 40019);
    await failsWith(create([{ type: 'view', name: 'a', url: `http://example.com/${'x'.repeat(1024)}` }]), 40020);
    await failsWith(create([{ name: 'a', sub_button: Array.from({ length: 6 }, () => click('s')) }]), 40023);
    await failsWith(create([{ name: 'a', sub_button: [{ type: 'dance', name: 's' }] }]), 40024);
    await failsWith(create([{ name: 'a', sub_button: [click('s'.repeat(61))] }]), 40025);
    await failsWith(create([{ name: 'a', sub_button: [click('s', '')] }]), 40026);
    await failsWith(create([{ name: 'a', sub_button: [{ type: 'view', name: 's', url: 'not a url' }] }]), 40027);
    await failsWith(cgi(sim.url, 'menu/get', token), 46003);

    const alice = await connectUser(sim.url, 'alice');
    const accounts: Account[] = [];
    alice.socket.on('account', (a) => accounts.push(a));
    const buttons = [
      { type: 'scancode_push', name: 'Scan', key: 'SCAN' },
      { type: 'miniprogram', name: 'App', url: 'http://example.com/', appid: 'wxapp', pagepath: 'pages/index' },
      { type: 'media_id', name: 'Poster', media_id: 'MEDIA' },
    ];
    expect((await create(buttons)).body.errcode).to.equal(0);
    expect((await cgi(sim.url, 'menu/get', token)).body).to.deep.equal({ menu: { button: buttons } });
    expect((await cgi(sim.url, 'menu/delete', token)).body.errcode).to.equal(0);
    await failsWith(cgi(sim.url, 'menu/get', token), 46003);
    await until(() => accounts.length === 2);
    expect(accounts.map((a) => a.menu)).to.deep.equal([[{ name: 'Scan', key: 'SCAN' }, { name: 'App', url: 'http://example.com/' }, { name: 'Poster' }], []]);
    alice.socket.close();
  });

  it('message/template/send: any id without a templates file; 40003; 43004 and 45015 once the user unfollows; user/info 40003', async () => {
    const alice = await connectUser(sim.url, 'alice');
    const openid = openIdOf('alice');
    const template = (body: object) => cgi(sim.url, 'message/template/send', token, { touser: openid, template_id: 'ANY', data: { a: { value: 1 } }, ...body });
    await failsWith(template({ touser: 'o_nobody' }), 40003);
    await failsWith(template({ data: 'nope' }), 47001);
    const sent = (await template({})).body;
    expect(sent).to.include({ errcode: 0, errmsg: 'ok' });
    expect(sent.msgid).to.be.a('number');
    await until(() => alice.received.length === 1);
    expect(alice.received[0]).to.deep.include({ type: 'template', templateId: 'ANY', data: { a: { value: '1' } } });
    expect(alice.received[0]).to.not.have.property('content');
    await failsWith(cgi(sim.url, 'user/info?openid=o_nobody', token), 40003);

    await send(alice.socket, { type: 'event', event: 'unsubscribe' });
    expect((await cgi(sim.url, `user/info?openid=${openid}`, token)).body).to.deep.equal({ subscribe: 0, openid });
    await failsWith(template({}), 43004);
    await failsWith(cgi(sim.url, 'message/custom/send', token, { touser: openid, msgtype: 'text', text: { content: 'hi' } }), 45015);
    alice.socket.close();
  });
});

describe('platform API: settings', () => {
  it('without --secret every call says how to start the simulator', async () => {
    const sim = await platformSimulator(undefined, { secret: undefined });
    try {
      for (const path of ['token?grant_type=client_credential&appid=x&secret=y', 'menu/get?access_token=t']) {
        const { status, body } = await cgi(sim.url, path, undefined);
        expect(status).to.equal(200);
        expect(body.errcode).to.equal(48001);
        expect(body.errmsg).to.include('--appid').and.include('--secret');
      }
    } finally {
      await sim.close();
    }
  });

  it('40037 for a template the templates file does not list, and the content of one it does; the store follows the file at a restart', async () => {
    const tmp = await tempDir();
    const file = path.join(tmp.dir, 'templates.json');
    writeFileSync(file, JSON.stringify({ template_list: [{ template_id: 'T1', title: 'Paid', content: 'Amount: {{amount.DATA}}' }] }));
    const account = await accountServer((_m, res) => res.reply(''));
    const location = memoryLocation();
    let sim = await platformSimulator(account.url, { templatesFile: file }, location);
    try {
      const alice = await connectUser(sim.url, 'alice');
      const token = await accessToken(sim.url);
      const body = { touser: openIdOf('alice'), template_id: 'T2', data: { amount: { value: '5' } } };
      expect((await cgi(sim.url, 'message/template/send', token, body)).body.errcode).to.equal(40037);
      expect((await cgi(sim.url, 'message/template/send', token, { ...body, template_id: 'T1' })).body.errcode).to.equal(0);
      await until(() => alice.received.length === 1);
      expect(alice.received[0]).to.deep.include({ title: 'Paid', content: 'Amount: {{amount.DATA}}' });
      alice.socket.close();
      await sim.close();

      // The file now lists T2 only: T1 is gone from the store too.
      writeFileSync(file, JSON.stringify({ template_list: [{ template_id: 'T2', title: 'Refunded', content: '{{amount.DATA}} back' }] }));
      sim = await platformSimulator(account.url, { templatesFile: file }, location);
      const again = await accessToken(sim.url);
      expect((await cgi(sim.url, 'message/template/send', again, { ...body, template_id: 'T1' })).body.errcode).to.equal(40037);
      expect((await cgi(sim.url, 'message/template/send', again, body)).body.errcode).to.equal(0);
      const kept = new LowStore(location);
      await kept.open([]);
      expect((await kept.records('templates').list()).map((r) => r.key)).to.deep.equal(['T2']);
      await kept.close();
    } finally {
      await sim.close();
      await account.close();
      await tmp.remove();
    }
  });

  it('a created menu is the menu after a restart; without a target, the account file menu until one is created', async () => {
    const location = memoryLocation();
    const first = await platformSimulator(undefined, {}, location);
    const before = await connectUser(first.url);
    expect(before.ready.account.menu).to.deep.equal(seedContent().account.menu);
    before.socket.close();
    const token = await accessToken(first.url);
    expect((await cgi(first.url, 'menu/create', token, { button: [{ type: 'click', name: 'Help', key: 'help' }] })).body.errcode).to.equal(0);
    await first.close();
    const second = await platformSimulator(undefined, {}, location);
    try {
      const user = await connectUser(second.url);
      expect(user.ready.account.menu).to.deep.equal([{ name: 'Help', key: 'help' }]);
      user.socket.close();
    } finally {
      await second.close();
    }
  });

  it('calls without a valid token pay the per-address limit (45011); calls with one do not', async () => {
    const app = await openApp({
      store: memoryStore(),
      content: seedContent(),
      logger: silentLogger,
      platform: { appId: APPID, secret: SECRET },
      security: { rateLimits: { perAddress: { points: 3, seconds: 600 } }, socketsPerUser: 10, corsOrigins: [] },
    });
    const url = await app.listen(0, '127.0.0.1');
    try {
      const token = await accessToken(url); // 1 of 3
      for (let i = 0; i < 10; i++) expect((await cgi(url, 'menu/delete', token)).body.errcode).to.equal(0);
      expect((await cgi(url, 'menu/get', 'made-up')).body.errcode).to.equal(40001); // 2
      expect((await cgi(url, 'menu/get', 'made-up')).body.errcode).to.equal(40001); // 3
      const over = await cgi(url, 'menu/get', 'made-up');
      expect(over.status).to.equal(200);
      expect(over.body.errcode).to.equal(45011);
      expect((await cgi(url, 'menu/delete', token)).body.errcode).to.equal(0);
    } finally {
      await app.close();
    }
  });
});
