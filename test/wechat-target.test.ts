// The simulator in front of other official-account servers: ours, one built with the `wechat` package,
// and misbehaving ones (slow, failing, garbage).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
// The official-account middleware from npm (node-webot), written by others: the interoperability check.
import wechat from 'wechat';
import { connect } from '../client/sdk/bot-client.ts';
import { loadFlows } from '../client/flows/load.ts';
import { runFlows } from '../client/flows/runner.ts';
import { describeFailure } from '../client/flows/reporters.ts';
import { openApp } from '../server/app/start.ts';
import { silentLogger } from '../server/logger.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { openIdOf, remoteResponder, SERVICE_UNAVAILABLE, type TargetOptions, type WechatTrace } from '../server/wechat/remote-bot.ts';
import { parseWechatXml, field } from '../server/wechat/xml.ts';
import { isSigned } from '../server/wechat/signature.ts';
import { http, seedContent, tempDir } from './helpers.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';

const TOKEN = 'target-token';

async function simulator(target: Omit<TargetOptions, 'token'> & { token?: string }) {
  const app = await openApp({
    store: memoryStore(),
    content: seedContent(),
    logger: silentLogger,
    responder: remoteResponder({ token: TOKEN, ...target }),
  });
  return { app, url: await app.listen(0, '127.0.0.1') };
}

/** A bare HTTP server standing in for someone's official-account backend; records what it received. */
async function fakeTarget(handle: (body: string, attempt: number) => Promise<{ status?: number; body: string }> | { status?: number; body: string }) {
  const received: Array<{ body: string; query: URLSearchParams }> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      received.push({ body, query: new URL(req.url!, 'http://x').searchParams });
      try {
        const out = await handle(body, received.length);
        res.writeHead(out.status ?? 200, { 'content-type': 'text/xml' }).end(out.body);
      } catch {
        res.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/wechat`,
    received,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const textReply = (to: string, text: string) =>
  `<xml><ToUserName><![CDATA[${to}]]></ToUserName><FromUserName><![CDATA[gh_x]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${text}]]></Content></xml>`;

describe('simulator → our own /wechat', () => {
  it('chats with this project\'s bot over the WeChat protocol, with a stable FromUserName and the XML in a trace', async () => {
    const bot = await openApp({ store: memoryStore(), content: seedContent(), logger: silentLogger, wechat: { token: TOKEN } });
    const botUrl = await bot.listen(0, '127.0.0.1');
    const sim = await simulator({ url: `${botUrl}/wechat` });
    const user = await connect({ url: sim.url, userId: 'sim-user' });
    expect((user.history[0] as { text: string }).text).to.match(/^Welcome to WeChat Business Watch/); // the subscribe event's reply
    const help = await user.say('help');
    expect((help[0] as { text: string }).text).to.match(/^How to use/);
    const card = await user.say('payment');
    expect(card[0]).to.deep.include({ type: 'news' });
    expect((card[0] as { articles: Array<{ url: string }> }).articles[0]!.url).to.equal(`${botUrl}/#/sections/payment`);
    const menu = await user.click('list');
    expect((menu[0] as { text: string }).text).to.include('1. Introduction');

    const stored = (await http(`${sim.url}/api/messages?userId=sim-user`, 'GET')).body.messages;
    const sent = stored.filter((m: { from: string }) => m.from === 'user') as Array<{ trace: WechatTrace }>;
    expect(sent).to.have.length(3);
    const requests = sent.map((m) => parseWechatXml(m.trace.wechat.request));
    expect(requests.map((r) => field(r, 'FromUserName'))).to.deep.equal(Array(3).fill(openIdOf('sim-user')));
    expect(field(requests[0]!, 'MsgType')).to.equal('text');
    expect(field(requests[0]!, 'MsgId')).to.match(/^\d+$/);
    expect(field(requests[2]!, 'Event')).to.equal('CLICK');
    expect(field(requests[2]!, 'EventKey')).to.equal('list');
    expect(sent[0]!.trace.wechat.attempts).to.have.length(1);
    expect(sent[0]!.trace.wechat.attempts[0]!.response).to.include('<MsgType><![CDATA[text]]></MsgType>');
    // The target stored the conversation under the OpenID the simulator made up.
    const theirs = (await http(`${botUrl}/api/messages?userId=${openIdOf('sim-user')}`, 'GET')).body.messages;
    expect(theirs.filter((m: { from: string }) => m.from === 'user')).to.have.length(4); // subscribe + 3
    user.close();
    await sim.app.close();
    await bot.close();
  });
});

describe('simulator → a bot built with the `wechat` package from npm', () => {
  let target: Server;
  let targetUrl: string;
  before(async () => {
    const app = express();
    app.use(
      '/wechat',
      wechat(TOKEN, (req: { weixin: Record<string, string> }, res: { reply: (content: unknown) => void }) => {
        const message = req.weixin;
        if (message.MsgType === 'event' && message.Event === 'subscribe') return res.reply('Thanks for following!');
        if (message.MsgType === 'event' && message.Event === 'CLICK') return res.reply(`You clicked ${message.EventKey}`);
        if (message.Content === 'news') {
          return res.reply([
            { title: 'First', description: 'one', picurl: 'http://example.com/1.jpg', url: 'http://example.com/1' },
            { title: 'Second', description: 'two', picurl: 'http://example.com/2.jpg', url: 'http://example.com/2' },
          ]);
        }
        return res.reply(`You said: ${message.Content}`);
      }),
    );
    target = createServer(app);
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/wechat`;
  });
  after(() => new Promise<void>((r) => target.close(() => r())));

  it('passes its signature check and shows its text and news replies', async () => {
    const sim = await simulator({ url: targetUrl });
    const user = await connect({ url: sim.url });
    expect((user.history[0] as { text: string }).text).to.equal('Thanks for following!');
    expect(await user.say('你好 <b>&')).to.have.nested.property('[0].text', 'You said: 你好 <b>&');
    const news = await user.say('news');
    expect(news[0]).to.deep.include({ type: 'news' });
    expect((news[0] as { articles: unknown[] }).articles).to.deep.equal([
      { title: 'First', description: 'one', url: 'http://example.com/1', picUrl: 'http://example.com/1.jpg' },
      { title: 'Second', description: 'two', url: 'http://example.com/2', picUrl: 'http://example.com/2.jpg' },
    ]);
    expect(await user.click('V1001_TODAY_MUSIC')).to.have.nested.property('[0].text', 'You clicked V1001_TODAY_MUSIC');
    user.close();
    await sim.app.close();
  });

  it('is refused by it when the simulator has the wrong token', async () => {
    const sim = await simulator({ url: targetUrl, token: 'wrong', retries: 0 });
    const user = await connect({ url: sim.url });
    expect(await user.say('hi')).to.have.nested.property('[0].text', SERVICE_UNAVAILABLE);
    user.close();
    await sim.app.close();
  });

  it('runs .convo.txt flows against it (npm run flows -- --target)', async () => {
    const tmp = await tempDir();
    writeFileSync(path.join(tmp.dir, 'echo.convo.txt'), 'Echo\n\n#bot\nThanks for following\n\n#me\nhello\n\n#bot\nYou said: hello\n\n#me\nnews\n\n#bot\nCARDS First|Second\nCARDS_COUNT 2\n');
    const sim = await simulator({ url: targetUrl });
    const { flows } = loadFlows([tmp.dir]);
    const [result] = await runFlows(flows, { url: sim.url });
    if (!result!.passed) expect.fail(describeFailure(result!));
    await sim.app.close();

    const run = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'client/flows/cli.ts', '--target', targetUrl, '--token', TOKEN, tmp.dir], { cwd: path.resolve(import.meta.dirname, '..') });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.on('close', (status) => resolve({ status, stdout }));
    });
    expect(run.status, run.stdout).to.equal(0);
    expect(run.stdout).to.match(/1 passing, 0 failing/);
    await tmp.remove();
  });
});

describe('simulator → servers that misbehave, handled as WeChat does', () => {
  const retried = async (handle: Parameters<typeof fakeTarget>[0], timeoutMs = 200) => {
    const target = await fakeTarget(handle);
    const sim = await simulator({ url: target.url, timeoutMs });
    const user = await connect({ url: sim.url, timeoutMs: 10_000 });
    target.received.length = 0; // forget the subscribe on connecting
    const replies = await user.say('hello');
    const stored = (await http(`${sim.url}/api/messages?userId=${user.userId}`, 'GET')).body.messages;
    const trace = stored.find((m: { from: string }) => m.from === 'user').trace as WechatTrace;
    user.close();
    await sim.app.close();
    await target.close();
    return { replies, received: target.received, trace };
  };

  it('a slow server (over the time limit) gets 3 attempts in all with the same MsgId, then users see the notice', async () => {
    const { replies, received, trace } = await retried(async () => {
      await new Promise((r) => setTimeout(r, 600));
      return { body: textReply('x', 'too late') };
    });
    expect(received).to.have.length(3);
    const msgIds = received.map((r) => field(parseWechatXml(r.body), 'MsgId'));
    expect(new Set(msgIds).size).to.equal(1);
    expect(replies).to.have.nested.property('[0].text', SERVICE_UNAVAILABLE);
    expect(trace.wechat.outcome).to.equal('failed');
    expect(trace.wechat.attempts.map((a) => a.error)).to.deep.equal(Array(3).fill('timed out after 200 ms'));
  });

  it('a failing server (HTTP 500) is retried, then users see the notice', async () => {
    const { replies, received, trace } = await retried(() => ({ status: 500, body: 'oops' }));
    expect(received).to.have.length(3);
    expect(replies).to.have.nested.property('[0].text', SERVICE_UNAVAILABLE);
    expect(trace.wechat.attempts[0]).to.include({ status: 500, response: 'oops', error: 'HTTP 500: oops' });
  });

  it('a garbage reply (not XML) is retried, then users see the notice', async () => {
    const { replies, received, trace } = await retried(() => ({ body: '<<<not xml at all' }));
    expect(received).to.have.length(3);
    expect(replies).to.have.nested.property('[0].text', SERVICE_UNAVAILABLE);
    expect(trace.wechat.attempts[0]!.error).to.match(/^unusable reply: Malformed XML/);
  });

  it('a text reply with an empty Content is WeChat\'s failure notice: retried, then the notice', async () => {
    const { replies, received, trace } = await retried(() => ({ body: textReply('x', '') }));
    expect(received).to.have.length(3);
    expect(replies).to.have.nested.property('[0].text', SERVICE_UNAVAILABLE);
    expect(trace.wechat.attempts[0]!.error).to.match(/^unusable reply: An empty Content/);
  });

  it('an empty body or "success" shows nothing, after one request', async () => {
    for (const body of ['', 'success']) {
      const { replies, received, trace } = await retried(() => ({ body }));
      expect(replies).to.deep.equal([]);
      expect(received).to.have.length(1);
      expect(trace.wechat.outcome).to.equal('silent');
    }
  });

  it('a server that fails once and then answers is shown its answer, from the retry', async () => {
    const { replies, received } = await retried((_body, n) => (n === 1 ? { status: 502, body: '' } : { body: textReply('x', 'second time lucky') }));
    expect(received).to.have.length(2);
    expect(replies).to.have.nested.property('[0].text', 'second time lucky');
  });

  it('signs every request as the platform does', async () => {
    const { received } = await retried(() => ({ body: 'success' }));
    expect(isSigned(Object.fromEntries(received[0]!.query), TOKEN)).to.equal(true);
    expect(received[0]!.query.get('openid')).to.match(/^o[A-Za-z0-9_-]{27}$/);
  });
});

describe('simulator → a target: every message type, both ways', () => {
  const replyFor: Record<string, string> = {
    image: '<MsgType><![CDATA[image]]></MsgType><Image><MediaId><![CDATA[M_img]]></MediaId></Image>',
    voice: '<MsgType><![CDATA[voice]]></MsgType><Voice><MediaId><![CDATA[M_voice]]></MediaId></Voice>',
    video: '<MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[M_video]]></MediaId><Title><![CDATA[A film]]></Title><Description><![CDATA[short]]></Description></Video>',
    music: '<MsgType><![CDATA[music]]></MsgType><Music><Title><![CDATA[Song]]></Title><Description><![CDATA[d]]></Description><MusicUrl><![CDATA[http://example.com/s.mp3]]></MusicUrl><HQMusicUrl><![CDATA[]]></HQMusicUrl></Music>',
    agent: '<MsgType><![CDATA[transfer_customer_service]]></MsgType>',
    card: '<MsgType><![CDATA[miniprogrampage]]></MsgType>',
    'bad media': '<MsgType><![CDATA[image]]></MsgType><Image><MediaId><![CDATA[../etc]]></MediaId></Image>',
  };
  const expected: Record<string, unknown[]> = {
    image: [{ type: 'image', mediaId: 'M_img', url: '/api/media/M_img' }],
    voice: [{ type: 'voice', mediaId: 'M_voice', url: '/api/media/M_voice' }],
    video: [{ type: 'video', mediaId: 'M_video', url: '/api/media/M_video', title: 'A film', description: 'short' }],
    music: [{ type: 'voice', url: 'http://example.com/s.mp3', title: 'Song', description: 'd' }],
    agent: [],
    card: [{ type: 'text', text: '[miniprogrampage message]' }],
    'bad media': [{ type: 'text', text: SERVICE_UNAVAILABLE }],
  };

  it('shows image, voice, video and music replies, says nothing for transfer_customer_service, names the rest', async () => {
    const target = await fakeTarget((body) => {
      const fields = parseWechatXml(body);
      const rest = replyFor[field(fields, 'Content') ?? ''];
      return { body: rest ? `<xml><ToUserName><![CDATA[${field(fields, 'FromUserName')}]]></ToUserName><FromUserName><![CDATA[gh_x]]></FromUserName><CreateTime>1</CreateTime>${rest}</xml>` : 'success' };
    });
    const sim = await simulator({ url: target.url, timeoutMs: 500, retries: 0 });
    const user = await connect({ url: sim.url });
    for (const [said, replies] of Object.entries(expected)) {
      const got = (await user.say(said)).map(({ type, text, url, mediaId, title, description }: Record<string, unknown>) =>
        Object.fromEntries(Object.entries({ type, text, url, mediaId, title, description }).filter(([, v]) => v !== undefined)),
      );
      expect(got, said).to.deep.equal(replies);
    }
    user.close();
    await sim.app.close();
    await target.close();
  });

  it('sends an option tap with bizmsgmenuid, a picture with an absolute PicUrl and its MediaId, a menu link as VIEW', async () => {
    const target = await fakeTarget(() => ({ body: 'success' }));
    const options: TargetOptions = { url: target.url, token: TOKEN };
    const app = await openApp({ store: memoryStore(), content: seedContent(), logger: silentLogger, responder: remoteResponder(options) });
    const simUrl = await app.listen(0, '127.0.0.1');
    options.publicUrl = simUrl; // as main.ts does once it listens
    const user = await connect({ url: simUrl });
    target.received.length = 0;
    await user.send({ type: 'text', text: 'Yes please', optionId: '101' });
    await user.send({ type: 'image', url: '/api/media/M_user_pic', mediaId: 'M_user_pic' });
    await user.send({ type: 'event', event: 'view', url: 'https://example.com/menu-page' });
    const [option, picture, view] = target.received.map((r) => parseWechatXml(r.body));
    expect(field(option!, 'bizmsgmenuid')).to.equal('101');
    expect(field(option!, 'Content')).to.equal('Yes please');
    expect(field(picture!, 'MsgType')).to.equal('image');
    expect(field(picture!, 'PicUrl')).to.equal(`${simUrl}/api/media/M_user_pic`);
    expect(field(picture!, 'MediaId')).to.equal('M_user_pic');
    expect(field(picture!, 'MsgId')).to.match(/^\d+$/);
    expect(field(view!, 'Event')).to.equal('VIEW');
    expect(field(view!, 'EventKey')).to.equal('https://example.com/menu-page');
    user.close();
    await app.close();
    await target.close();
  });
});
