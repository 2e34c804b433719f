// What the simulator reads from a server under test that is hostile or broken: bodies without end, bodies
// that drip, redirects to internal addresses, over-long text; and how each failed attempt is reported.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { pino, type Logger } from 'pino';
// The official-account middleware from npm (node-webot), written by others.
import wechat from 'wechat';
import { connect } from '../client/sdk/bot-client.ts';
import { openApp } from '../server/app/start.ts';
import { MAX_BODY_BYTES } from '../server/limits.ts';
import { silentLogger } from '../server/logger.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { MAX_TRACED_CHARS } from '../server/wechat/target-http.ts';
import { openIdOf, remoteResponder, SERVICE_UNAVAILABLE, type TargetOptions, type WechatTrace } from '../server/wechat/remote-bot.ts';
import { http, seedContent, until } from './helpers.ts';
import { accessToken, accountServer, cgi, platformSimulator } from './platform-helpers.ts';

const TOKEN = 'target-token';
const MiB = 1024 * 1024;

/** A plain HTTP server that answers every POST with `handle` once the request body is in; `received` counts them. */
async function hostile(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(req.url!);
      handle(req, res);
    });
  });
  return { ...(await listening(server)), received };
}

async function listening(server: Server) {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${base}/wechat`, base, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** Warn lines and above, as JSON. */
function recording(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) }), lines };
}

/** The simulator in front of `target`: says `text` once connected, and gives the replies and the stored trace. */
async function pushOnce(target: Omit<TargetOptions, 'token'> & { token?: string }, text = 'hello', logger: Logger = silentLogger, onConnected = () => {}) {
  const app = await openApp({ store: memoryStore(), content: seedContent(), logger, responder: remoteResponder({ token: TOKEN, ...target }, logger) });
  const url = await app.listen(0, '127.0.0.1');
  const user = await connect({ url, timeoutMs: 60_000 });
  onConnected();
  const replies = await user.say(text);
  const stored = (await http(`${url}/api/messages?userId=${user.userId}`, 'GET')).body.messages;
  const trace = stored.findLast((m: { from: string }) => m.from === 'user').trace as WechatTrace;
  user.close();
  await app.close();
  return { replies, trace, userId: user.userId };
}

describe('a server under test that sends too much, too slowly, or elsewhere', () => {
  it('a body of 400 MiB is cut off at 64 KiB on every attempt: refused, the connection closed, memory bounded', async function () {
    this.timeout(60_000);
    const unread: number[] = [];
    const target = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      const chunk = Buffer.alloc(MiB, '<xml>');
      let sent = 0;
      res.on('close', () => unread.push(400 * MiB - sent));
      const pump = () => {
        while (!res.destroyed && sent < 400 * MiB) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const rssBefore = process.memoryUsage().rss;
    const { replies, trace } = await pushOnce({ url: target.url }, 'hello', silentLogger, () => (target.received.length = 0));
    const grownMb = (process.memoryUsage().rss - rssBefore) / MiB;
    console.log(`      RSS grew by ${grownMb.toFixed(1)} MB; bytes never sent per attempt: ${unread.map((n) => `${(n / MiB).toFixed(0)} MiB`).join(', ')}`);
    await target.close();

    expect(replies).to.have.nested.property('[0].text', SERVICE_UNAVAILABLE);
    expect(target.received).to.have.length(3);
    expect(trace.wechat.attempts.map((a) => a.error)).to.deep.equal(Array(3).fill(`reply over ${MAX_BODY_BYTES} bytes: not read further`));
    expect(trace.wechat.attempts[0]!.response).to.have.length.below(MAX_TRACED_CHARS + 100);
    // The simulator hung up: most of each body was never sent (a reader that drains it takes all 400 MiB).
    await until(() => unread.length >= 3);
    for (const left of unread) expect(left).to.be.above(300 * MiB);
    expect(grownMb).to.be.below(100);
  });

  it('a body that drips is abandoned at the deadline, the connection closed', async () => {
    let closed = 0;
    const target = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.write('<xml>');
      const drip = setInterval(() => res.write(' '), 20);
      res.on('close', () => {
        clearInterval(drip);
        closed++;
      });
    });
    const { replies, trace } = await pushOnce({ url: target.url, timeoutMs: 300, retries: 0 });
    expect(replies).to.have.nested.property('[0].text', SERVICE_UNAVAILABLE);
    expect(trace.wechat.attempts.map((a) => a.error)).to.deep.equal(['timed out after 300 ms (reading the body)']);
    await until(() => closed >= 2); // the subscribe's push and this one
    await target.close();
  });

  for (const status of [302, 307]) {
    it(`a ${status} to an internal address is not followed: that address gets nothing, and nothing of it is stored`, async () => {
      const internal = await hostile((_req, res) => res.writeHead(200, { 'content-type': 'text/xml' }).end('<xml><secret>internal answer</secret></xml>'));
      const target = await hostile((_req, res) => res.writeHead(status, { location: `${internal.base}/admin` }).end());
      const { replies, trace } = await pushOnce({ url: target.url });
      expect(internal.received).to.deep.equal([]);
      expect(replies).to.have.nested.property('[0].text', SERVICE_UNAVAILABLE);
      expect(trace.wechat.attempts.map((a) => a.error)).to.deep.equal(Array(3).fill(`HTTP ${status}: a redirect, not followed (WeChat follows none)`));
      expect(JSON.stringify(trace)).not.to.include('internal answer');
      await Promise.all([internal.close(), target.close()]);
    });
  }

  it('keeps at most 4 KiB of what the target said in the trace, marked as cut', async () => {
    const target = await hostile((_req, res) => res.writeHead(500).end('e'.repeat(20_000)));
    const { trace } = await pushOnce({ url: target.url, retries: 0 });
    const { response } = trace.wechat.attempts[0]!;
    expect(response!.length, 'characters kept').to.equal(MAX_TRACED_CHARS + '… [cut: 20000 characters in all]'.length);
    expect(response).to.match(/^e+… \[cut: 20000 characters in all\]$/);
    expect(trace.wechat.attempts[0]!.error).to.equal(`HTTP 500: ${'e'.repeat(120)}`);
    await target.close();
  });

  it('a node-webot `wechat` server that replies 50 MiB of text, or redirects to an internal address: refused, nothing followed', async function () {
    this.timeout(60_000);
    const internal = await hostile((_req, res) => res.writeHead(200, { 'content-type': 'text/xml' }).end('<xml><secret>internal answer</secret></xml>'));
    let mode: 'huge' | 'redirect' = 'huge';
    const app = express();
    app.use('/wechat', wechat(TOKEN, (req: { weixin: Record<string, string> }, res: { reply: (content: unknown) => void; redirect: (status: number, url: string) => void }) => {
      if (req.weixin.MsgType === 'event') return res.reply('');
      if (mode === 'huge') return res.reply('x'.repeat(50 * MiB));
      res.redirect(307, `${internal.base}/admin`);
    }));
    const target = await listening(createServer(app));
    // (Memory is measured by the 400 MiB case above: here the target itself, in this process, builds the 50 MiB.)
    const huge = await pushOnce({ url: target.url });
    expect(huge.replies).to.have.nested.property('[0].text', SERVICE_UNAVAILABLE);
    expect(huge.trace.wechat.attempts.map((a) => a.error)).to.deep.equal(Array(3).fill(`reply over ${MAX_BODY_BYTES} bytes: not read further`));
    mode = 'redirect';
    const redirected = await pushOnce({ url: target.url });
    expect(internal.received, 'the internal address is never asked').to.deep.equal([]);
    expect(redirected.trace.wechat.attempts.map((a) => a.error)).to.deep.equal(Array(3).fill('HTTP 307: a redirect, not followed (WeChat follows none)'));
    expect(JSON.stringify(redirected.trace)).not.to.include('internal answer');
    await Promise.all([internal.close(), target.close()]);
  });
});

describe('text over WeChat\'s 2048 bytes from a server under test', () => {
  it('in a passive reply (node-webot `wechat`) is unusable: retried, then the notice', async () => {
    const app = express();
    let pushes = 0;
    app.use('/wechat', wechat(TOKEN, (req: { weixin: Record<string, string> }, res: { reply: (content: unknown) => void }) => {
      pushes++;
      res.reply(req.weixin.MsgType === 'event' ? 'Welcome' : '长'.repeat(700)); // 2100 bytes of UTF-8
    }));
    const target = await listening(createServer(app));
    const { replies, trace } = await pushOnce({ url: target.url }, 'hello', silentLogger, () => (pushes = 0));
    expect(pushes).to.equal(3);
    expect(replies).to.have.nested.property('[0].text', SERVICE_UNAVAILABLE);
    expect(trace.wechat.attempts[0]!.error).to.equal('unusable reply: A Content of 2100 bytes: WeChat takes 2048 at most.');
    await target.close();
  });

  it('in message/custom/send is refused with 45002, and the user sees nothing', async () => {
    const account = await accountServer((message, res) => res.reply(message.Event === 'subscribe' ? 'hello' : ''));
    const sim = await platformSimulator(account.url);
    const user = await connect({ url: sim.url, userId: 'long-text' });
    const token = await accessToken(sim.url);
    const send = (content: string) => cgi(sim.url, 'message/custom/send', token, { touser: openIdOf('long-text'), msgtype: 'text', text: { content } });
    const refused = (await send('长'.repeat(683))).body; // 2049 bytes
    expect(refused.errcode).to.equal(45002);
    expect(refused.errmsg).to.match(/^content size out of limit hint: \[text.content is 2049 bytes; at most 2048\]/);
    expect((await send('长'.repeat(682))).body.errcode).to.equal(0); // 2046 bytes
    const stored = (await http(`${sim.url}/api/messages?userId=long-text`, 'GET')).body.messages as Array<{ text?: string }>;
    expect(stored.filter((m) => m.text?.startsWith('长')).map((m) => m.text!.length)).to.deep.equal([682]);
    user.close();
    await sim.close();
    await account.close();
  });
});

describe('failed pushes are logged at warn with their cause, once per attempt', () => {
  const warnings = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.level === 40).map((l) => l.msg);

  it('a target that is down: ECONNREFUSED with its address, in the log and the trace, for each of 3 attempts', async () => {
    const gone = await listening(createServer());
    await gone.close();
    const address = new URL(gone.base).host;
    const { logger, lines } = recording();
    const app = await openApp({ store: memoryStore(), content: seedContent(), logger, responder: remoteResponder({ url: gone.url, token: TOKEN }, logger) });
    const url = await app.listen(0, '127.0.0.1');
    const tabs = [await connect({ url, userId: 'two-tabs' }), await connect({ url, userId: 'two-tabs' })];
    lines.length = 0; // the subscribe's pushes
    await tabs[0]!.say('hello');
    const cause = `request failed: connect ECONNREFUSED ${address}`;
    expect(warnings(lines)).to.deep.equal([1, 2, 3].map((n) => `push to ${gone.url} failed (attempt ${n} of 3): ${cause}`));
    expect(lines[0]).to.include({ cause, attempt: 1, userId: 'two-tabs', target: gone.url });
    const stored = (await http(`${url}/api/messages?userId=two-tabs`, 'GET')).body.messages;
    const trace = stored.findLast((m: { from: string }) => m.from === 'user').trace as WechatTrace;
    expect(trace.wechat.attempts.map((a) => a.error)).to.deep.equal(Array(3).fill(cause));
    tabs.forEach((t) => t.close());
    await app.close();
  });

  it('a wrong token (node-webot `wechat` says 401), a slow target, a reply that is not XML', async () => {
    const app = express();
    app.use('/wechat', wechat(TOKEN, (_req: unknown, res: { reply: (content: unknown) => void }) => res.reply('hi')));
    const webot = await listening(createServer(app));
    const slow = await hostile(() => {}); // never answers
    const garbage = await hostile((_req, res) => res.writeHead(200).end('<<<not xml'));
    const cases = [
      { target: { url: webot.url, token: 'wrong' }, cause: 'HTTP 401: Invalid signature' },
      { target: { url: slow.url, timeoutMs: 200 }, cause: 'timed out after 200 ms' },
      { target: { url: garbage.url }, cause: /^unusable reply: Malformed XML/ },
    ];
    for (const { target, cause } of cases) {
      const { logger, lines } = recording();
      const { trace, userId } = await pushOnce({ ...target, retries: 1 }, 'hello', logger, () => (lines.length = 0));
      const said = warnings(lines);
      expect(said, String(cause)).to.have.length(2);
      for (const [i, line] of lines.entries()) {
        expect(line).to.include({ userId, attempt: i + 1 });
        if (typeof cause === 'string') expect(line.cause).to.equal(cause);
        else expect(line.cause).to.match(cause);
      }
      expect(trace.wechat.attempts.map((a) => a.error)).to.deep.equal(lines.map((l) => l.cause));
    }
    await Promise.all([webot.close(), slow.close(), garbage.close()]);
  });
});
