// Headers, CORS and the WebSocket origin check, the admin token, request ids and what the logs keep.
import { expect } from 'chai';
import { pino } from 'pino';
import { io as connectSocket } from 'socket.io-client';
import { UNLIMITED, type SecurityOptions } from '../server/security.ts';
import { connectUser, http, send, startServer, type Running } from './helpers.ts';

const security = (overrides: Partial<SecurityOptions>): SecurityOptions => ({ ...UNLIMITED, ...overrides });

/** Resolves with the connect_error message, or 'connected'. */
function tryConnect(url: string, origin: string): Promise<string> {
  const socket = connectSocket(url, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: { origin } });
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
