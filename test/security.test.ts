// Headers, CORS and the WebSocket origin check, writes from other sites, the Host check, the admin token,
// request ids and what the logs keep.
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { expect } from 'chai';
import { pino } from 'pino';
import { io as connectSocket } from 'socket.io-client';
import { openApp } from '../server/app/start.ts';
import { silentLogger } from '../server/logger.ts';
import { UNLIMITED, type SecurityOptions } from '../server/app/security.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { connectUser, http, seedContent, send, startServer, type Running } from './helpers.ts';
import { accessToken, cgi, platformSimulator } from './platform-helpers.ts';

const security = (overrides: Partial<SecurityOptions>): SecurityOptions => ({ ...UNLIMITED, ...overrides });

/** Resolves with the connect_error message, or 'connected'. */
function tryConnect(url: string, origin: string, headers: Record<string, string> = {}): Promise<string> {
  const socket = connectSocket(url, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: { origin, ...headers } });
  return new Promise((resolve) => {
    socket.once('ready', () => resolve('connected'));
    socket.once('connect_error', (err) => resolve(err.message));
  }).finally(() => socket.close()) as Promise<string>;
}

describe('security: headers and origins', () => {
  let server: Running;
  afterEach(() => server.close());

  it('sends security headers and a Content-Security-Policy that allows no inline script', async () => {
    server = await startServer();
    const { headers } = await http(`${server.url}/api/article`, 'GET');
    const csp = headers.get('content-security-policy')!;
    expect(csp).to.match(/script-src 'self'/);
    expect(/script-src[^;]*'unsafe-inline'/.test(csp)).to.equal(false);
    expect(/script-src-attr 'none'/.test(csp)).to.equal(true); // no onclick="…" either
    expect(headers.get('x-content-type-options')).to.equal('nosniff');
    expect(headers.get('x-frame-options')).to.equal('SAMEORIGIN');
    expect(headers.get('x-powered-by')).to.equal(null);
  });

  it('keeps CORS closed by default: no CORS headers, and sockets from pages of other sites are refused', async () => {
    server = await startServer();
    const res = await http(`${server.url}/api/messages?userId=x`, 'GET', undefined, { origin: 'https://evil.example' });
    expect(res.headers.get('access-control-allow-origin')).to.equal(null);
    const preflight = await fetch(`${server.url}/api/messages`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).to.equal(null);
    expect(await tryConnect(server.url, 'https://evil.example')).not.to.equal('connected');
    // The chat window itself (same origin) and clients that are not browsers (no Origin) get in.
    expect(await tryConnect(server.url, server.url)).to.equal('connected');
    const { socket } = await connectUser(server.url, 'script');
    socket.close();
  });

  it('opens CORS and sockets to the configured origins only', async () => {
    server = await startServer(undefined, { security: security({ corsOrigins: ['https://app.example'] }) });
    const allowed = await http(`${server.url}/api/article`, 'GET', undefined, { origin: 'https://app.example' });
    expect(allowed.headers.get('access-control-allow-origin')).to.equal('https://app.example');
    const other = await http(`${server.url}/api/article`, 'GET', undefined, { origin: 'https://other.example' });
    expect(other.headers.get('access-control-allow-origin')).to.equal(null);
    expect(await tryConnect(server.url, 'https://app.example')).to.equal('connected');
    expect(await tryConnect(server.url, 'https://other.example')).not.to.equal('connected');
  });
});

/** A GET over a raw socket, so that the Host header can be anything; the status and the JSON answer. */
function rawGet(url: string, host: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject).end();
  });
}

describe('security: writes from pages of other sites', () => {
  let server: Running;
  afterEach(() => server.close());
  const message = { userId: 'victim', type: 'text', text: 'hello' };

  it('refuses writes whose Origin or Sec-Fetch-Site says another site (403 cross_site), storing nothing', async () => {
    server = await startServer();
    const other = 'http://127.0.0.1:1'; // another port is another origin, though the "same site"
    const attempts: Array<Record<string, string>> = [{ origin: 'https://evil.example' }, { origin: 'null' }, { origin: other, 'sec-fetch-site': 'same-site' }, { 'sec-fetch-site': 'cross-site' }];
    for (const headers of attempts) {
      const res = await http(`${server.url}/api/messages`, 'POST', message, headers);
      expect(res.status, JSON.stringify(headers)).to.equal(403);
      expect(res.body.error.code).to.equal('cross_site');
      expect(res.body.error.message).to.include('CORS_ORIGINS');
    }
    expect((await http(`${server.url}/api/messages?userId=victim`, 'GET')).body.messages).to.deep.equal([]);
    // The chat window's own page, a person typing the address, and clients that are not browsers write as before.
    const own: Array<Record<string, string>> = [{ origin: server.url, 'sec-fetch-site': 'same-origin' }, { origin: server.url }, { 'sec-fetch-site': 'none' }, {}];
    for (const headers of own) {
      expect((await http(`${server.url}/api/messages`, 'POST', message, headers)).status, JSON.stringify(headers)).to.equal(200);
    }
  });

  it('lets the configured CORS origins write', async () => {
    server = await startServer(undefined, { security: security({ corsOrigins: ['https://app.example'] }) });
    const res = await http(`${server.url}/api/messages`, 'POST', message, { origin: 'https://app.example', 'sec-fetch-site': 'cross-site' });
    expect(res.status).to.equal(200);
  });

  it('refuses JSON routes a body that is not JSON (415 unsupported_media), storing nothing', async () => {
    server = await startServer();
    const res = await http(`${server.url}/api/messages`, 'POST', JSON.stringify(message), { 'content-type': 'text/plain' });
    expect(res.status).to.equal(415);
    expect(res.body.error).to.include({ code: 'unsupported_media' });
    expect(res.body.error.message).to.include('application/json');
    const rule = { name: 'x', keywords: [{ text: 'x', match: 'equal' }], replies: [{ type: 'text', text: 'x' }] };
    expect((await http(`${server.url}/api/rules`, 'POST', JSON.stringify(rule), { 'content-type': 'text/plain' })).status).to.equal(415);
    expect((await http(`${server.url}/api/messages?userId=victim`, 'GET')).body.messages).to.deep.equal([]);
  });

  it('refuses platform API calls from pages of other sites, GETs too, in the platform\'s shape', async () => {
    const simulator = await platformSimulator(undefined);
    server = simulator;
    const token = await accessToken(simulator.url);
    const menu = { button: [{ type: 'click', name: 'Ours', key: 'OURS' }] };
    expect((await cgi(simulator.url, 'menu/create', token, menu)).body.errcode).to.equal(0);
    const query = `?access_token=${token}`;
    const hostile = { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site', 'content-type': 'text/plain' };
    const created = await http(`${simulator.url}/cgi-bin/menu/create${query}`, 'POST', JSON.stringify({ button: [] }), hostile);
    const deleted = await http(`${simulator.url}/cgi-bin/menu/delete${query}`, 'GET', undefined, hostile);
    for (const res of [created, deleted]) {
      expect(res.status).to.equal(200);
      expect(res.body.errcode).to.equal(48001);
      expect(res.body.errmsg).to.include('CORS_ORIGINS');
    }
    expect((await cgi(simulator.url, 'menu/get', token)).body.menu.button).to.deep.equal(menu.button);
  });
});

describe('security: the Host check', () => {
  let server: Running;
  afterEach(() => server.close());

  it('refuses names this server does not answer to (403 host_not_allowed, naming the setting), over HTTP and Socket.IO', async () => {
    server = await startServer();
    const refused = await rawGet(`${server.url}/api/article`, 'evil.example');
    expect(refused.status).to.equal(403);
    expect(refused.body.error.code).to.equal('host_not_allowed');
    expect(refused.body.error.message).to.include('ALLOWED_HOSTS');
    expect((await rawGet(`${server.url}/cgi-bin/token`, 'evil.example:80')).body.errcode).to.equal(48001);
    expect(await tryConnect(server.url, 'http://evil.example', { host: 'evil.example' })).not.to.equal('connected');
    const port = new URL(server.url).port;
    for (const host of [`localhost:${port}`, `app.localhost:${port}`, `127.0.0.2:${port}`, `[::1]:${port}`, `LOCALHOST.:${port}`]) {
      expect((await rawGet(`${server.url}/api/article`, host)).status, host).to.equal(200);
    }
    expect(await tryConnect(server.url, `http://localhost:${port}`, { host: `localhost:${port}` })).to.equal('connected');
  });

  it('answers to the configured names (".name" takes its subdomains)', async () => {
    server = await startServer(undefined, { security: security({ allowedHosts: ['sim.example', '.dev.example'] }) });
    for (const host of ['sim.example', 'dev.example', 'a.dev.example:3000']) expect((await rawGet(`${server.url}/api/article`, host)).status, host).to.equal(200);
    expect((await rawGet(`${server.url}/api/article`, 'sim.example.evil')).status).to.equal(403);
  });

  it('answers to every address of the machine when listening on all of them (HOST=0.0.0.0)', async function () {
    const lan = Object.values(networkInterfaces()).flat().find((info) => info?.family === 'IPv4' && !info.internal)?.address;
    if (!lan) this.skip();
    const app = await openApp({ store: memoryStore(), content: seedContent(), logger: silentLogger });
    const port = new URL(await app.listen(0, '0.0.0.0')).port;
    server = { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
    expect((await rawGet(`${server.url}/api/article`, `${lan}:${port}`)).status).to.equal(200);
    expect((await rawGet(`${server.url}/api/article`, 'evil.example')).status).to.equal(403);
  });
});

describe('security: the admin token', () => {
  let server: Running;
  const rule = { id: 'hongbao', name: 'Red envelopes', keywords: [{ text: '红包', match: 'contain' }], replies: [{ type: 'section', sectionId: 'games' }] };
  beforeEach(async () => {
    server = await startServer(undefined, { security: security({ adminToken: 's3cret-token' }) });
  });
  afterEach(() => server.close());

  it('refuses rule changes without the token or with a wrong one (401), changing nothing', async () => {
    const before = (await http(`${server.url}/api/rules`, 'GET')).body.rules;
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: 's3cret-token' }];
    for (const headers of attempts) {
      const created = await http(`${server.url}/api/rules`, 'POST', rule, headers);
      expect(created.status).to.equal(401);
      expect(created.body.error.code).to.equal('unauthorized');
      expect(created.headers.get('www-authenticate')).to.match(/^Bearer/);
      expect((await http(`${server.url}/api/rules/${before[0].id}`, 'PUT', rule, headers)).status).to.equal(401);
      expect((await http(`${server.url}/api/rules/${before[0].id}`, 'DELETE', undefined, headers)).status).to.equal(401);
    }
    expect((await http(`${server.url}/api/rules`, 'GET')).body.rules).to.deep.equal(before);
  });

  it('accepts rule changes with the token; reading rules and chatting need none', async () => {
    const auth = { authorization: 'Bearer s3cret-token' };
    expect((await http(`${server.url}/api/rules`, 'POST', rule, auth)).status).to.equal(201);
    expect((await http(`${server.url}/api/rules/hongbao`, 'GET')).status).to.equal(200);
    const reply = await http(`${server.url}/api/messages`, 'POST', { userId: 'reader', type: 'text', text: '抢红包' });
    expect(reply.body.replies[0].articles[0].sectionId).to.equal('games');
    expect((await http(`${server.url}/api/rules/hongbao`, 'DELETE', undefined, auth)).status).to.equal(204);
  });
});

describe('observability: request ids and logs', () => {
  let server: Running;
  let lines: Array<Record<string, unknown>>;
  const start = async (level: string) => {
    lines = [];
    const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    server = await startServer(undefined, { logger });
  };
  afterEach(() => server.close());

  it('gives every HTTP request an id, logged and sent back; a caller may bring its own', async () => {
    await start('info');
    const mine = await http(`${server.url}/api/article`, 'GET', undefined, { 'x-request-id': 'trace-42' });
    expect(mine.headers.get('x-request-id')).to.equal('trace-42');
    const theirs = await http(`${server.url}/api/article`, 'GET', undefined, { 'x-request-id': 'not valid!' });
    expect(theirs.headers.get('x-request-id')).to.match(/^r[A-Za-z0-9_-]+$/);
    const logged = lines.filter((l) => l.msg === 'request completed').map((l) => (l.req as { id: string }).id);
    expect(logged).to.include('trace-42').and.include(theirs.headers.get('x-request-id'));
  });

  it('keeps message text out of the logs at info, and names the message at debug', async () => {
    await start('info');
    await http(`${server.url}/api/messages`, 'POST', { userId: 'private', type: 'text', text: 'my secret question' });
    const { socket } = await connectUser(server.url, 'private');
    const ack = await send(socket, { type: 'text', text: 'another secret' });
    socket.close();
    expect(lines.length).to.be.greaterThan(0);
    expect(JSON.stringify(lines)).not.to.include('secret');
    await server.close();

    await start('debug');
    const again = await connectUser(server.url, 'private');
    const answered = await send(again.socket, { type: 'text', text: 'games' });
    again.socket.close();
    if (!answered.ok || !ack.ok) expect.fail('should have been answered');
    const line = lines.find((l) => l.messageId === answered.message.id);
    expect(line).to.include({ msg: 'message answered', userId: 'private', level: 20 });
    expect(JSON.stringify(lines)).not.to.include('games'); // text only at trace
  });
});

describe('security: what the body parsers refuse', () => {
  let server: Running;
  let lines: Array<Record<string, unknown>>;
  beforeEach(async () => {
    lines = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    server = await startServer(undefined, { logger, wechat: { token: 'tok' } });
  });
  afterEach(() => server.close());

  const post = (path: string, contentType: string, body: string) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const errorLogs = () => lines.filter((l) => (l.level as number) >= 50);

  it('answers a charset it does not read with 415 unsupported_media, logged at info, on JSON, urlencoded and text bodies', async () => {
    const cases: Array<[string, string, string]> = [
      ['/api/messages', 'application/json; charset=x-evil', JSON.stringify({ userId: 'u1', type: 'text', text: 'hi' })],
      ['/wechat?signature=x&timestamp=1&nonce=2', 'application/x-www-form-urlencoded; charset=x-evil', 'a=1'],
      ['/wechat?signature=x&timestamp=1&nonce=2', 'text/xml; charset=x-evil', '<xml></xml>'],
    ];
    for (const [path, type, body] of cases) {
      const res = await post(path, type, body);
      expect(res.status, `${path} ${type}`).to.equal(415);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('unsupported_media');
    }
    const cgi = await post('/cgi-bin/menu/create?access_token=x', 'application/json; charset=x-evil', '{}');
    expect(cgi.status).to.equal(200);
    expect(((await cgi.json()) as { errcode: number }).errcode).to.equal(47001);
    expect(errorLogs()).to.deep.equal([]);
    expect(lines.filter((l) => l.msg === 'request body refused' && l.level === 30)).to.have.length(3);
  });

  it('answers XML nested 9 000 deep on /wechat with 400 bad_request, logged at info', async () => {
    const { createHash } = await import('node:crypto');
    const [timestamp, nonce] = ['1700000000', 'n1'];
    const signature = createHash('sha1').update(['tok', timestamp, nonce].sort().join('')).digest('hex');
    const deep = `<xml>${'<a>'.repeat(9000)}x${'</a>'.repeat(9000)}</xml>`;
    const res = await post(`/wechat?signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`, 'text/xml', deep);
    expect(res.status).to.equal(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).to.equal('bad_request');
    expect(body.error.message).to.include('at most 32 levels');
    expect(errorLogs()).to.deep.equal([]);
  });
});
