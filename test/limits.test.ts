// Rate limits per user and per address, sockets per user, and message order under limits: real servers, real clients.
import { expect } from 'chai';
import type { MessageAck } from '../server/contract.ts';
import { isAccepted, parseRate, RateLimits } from '../server/core/rate-limits.ts';
import { AppError } from '../server/core/errors.ts';
import { UNLIMITED, type SecurityOptions } from '../server/app/security.ts';
import { MAX_RULES } from '../server/limits.ts';
import { connectUser, http, rejection, seedContent, send, startServer, until, type ChatSocket, type Running } from './helpers.ts';
import { post, signedUrl, textXml } from './wechat-helpers.ts';

const security = (overrides: Partial<SecurityOptions>): SecurityOptions => ({ ...UNLIMITED, ...overrides });
const refusal = (ack: MessageAck) => (ack.ok ? undefined : ack.error);
const historyOf = async (server: Running, userId: string) => (await http(`${server.url}/api/messages?userId=${userId}&limit=200`, 'GET')).body.messages as unknown[];

describe('rate limits', () => {
  let server: Running;
  afterEach(() => server?.close());

  it('counts in fixed windows started by the first charge, each key its own, and says how long until the next is accepted', async () => {
    let now = 1_000_000;
    const limits = new RateLimits({ perUser: { points: 3, seconds: 10 } }, undefined, () => now);
    for (let i = 0; i < 3; i++) expect(isAccepted(limits.user('a')), `charge ${i + 1}`).to.equal(true);
    now += 4000;
    const over = limits.user('a');
    expect(isAccepted(over)).to.equal(false);
    const error = await over.then(() => undefined, (err: unknown) => err);
    expect(error).to.be.instanceOf(AppError);
    expect((error as AppError).code).to.equal('rate_limited');
    expect((error as AppError).toBody()).to.include({ retryAfterMs: 6000 });
    expect(isAccepted(limits.user('b')), 'another key has a budget of its own').to.equal(true);
    now += 6000; // the window of "a" has ended: a new one starts with the next charge
    expect(isAccepted(limits.user('a'))).to.equal(true);
    expect(isAccepted(new RateLimits({}).address('x')), 'no limit').to.equal(true);
  });

  it('refuses a user over the limit with rate_limited and a retry time, stores nothing of it, and leaves other users alone', async () => {
    server = await startServer(undefined, { security: security({ rateLimits: { perUser: { points: 3, seconds: 60 } } }) });
    const flooder = await connectUser(server.url, 'flooder');
    const acks = await Promise.all(Array.from({ length: 5 }, (_, i) => send(flooder.socket, { type: 'text', text: `flood ${i}` })));
    expect(acks.map((a) => a.ok)).to.deep.equal([true, true, true, false, false]);
    const error = refusal(acks[3]!)!;
    expect(error.code).to.equal('rate_limited');
    expect(error.message).to.match(/at most 3 per 60 s/);
    expect(error.retryAfterMs).to.be.within(1, 60_000);
    expect(await historyOf(server, 'flooder')).to.have.length(1 + 3 * 2); // the welcome, then three exchanges

    const other = await connectUser(server.url, 'neighbour');
    expect((await send(other.socket, { type: 'text', text: 'payment' })).ok).to.equal(true);
    flooder.socket.close();
    other.socket.close();
  });

  it('counts a user across channels: over HTTP the refusal is 429 with Retry-After', async () => {
    server = await startServer(undefined, { security: security({ rateLimits: { perUser: { points: 2, seconds: 30 } } }) });
    const { socket } = await connectUser(server.url, 'both');
    expect((await send(socket, { type: 'text', text: 'help' })).ok).to.equal(true);
    expect((await http(`${server.url}/api/messages`, 'POST', { userId: 'both', type: 'text', text: 'list' })).status).to.equal(200);
    const res = await http(`${server.url}/api/messages`, 'POST', { userId: 'both', type: 'text', text: 'games' });
    expect(res.status).to.equal(429);
    expect(res.body.error.code).to.equal('rate_limited');
    expect(Number(res.headers.get('retry-after'))).to.be.within(1, 30);
    expect((await http(`${server.url}/api/messages`, 'POST', { userId: 'someone-else', type: 'text', text: 'games' })).status).to.equal(200);
    socket.close();
  });

  it('keeps a user\'s messages in order when they arrive together', async () => {
    server = await startServer(undefined, { security: security({ rateLimits: { perUser: { points: 100, seconds: 60 }, perAddress: { points: 1000, seconds: 60 } } }) });
    const { socket } = await connectUser(server.url, 'reader');
    const [page, next] = await Promise.all([send(socket, { type: 'text', text: '3' }), send(socket, { type: 'text', text: 'more' })]);
    if (!page.ok || !next.ok) expect.fail('both should be answered');
    expect((page.replies[0] as { text: string }).text).to.match(/\(1\/2\)/);
    expect((next.replies[0] as { text: string }).text).to.match(/\(2\/2\)|^[^(]*$/);
    expect(next.message.id > page.message.id).to.equal(true);
    socket.close();
  });

  describe('per address (behind a trusted proxy, so that tests can come from several addresses)', () => {
    const behindProxy = () => security({ trustProxy: 'loopback', rateLimits: { perAddress: { points: 4, seconds: 60 } } });
    const from = (address: string) => ({ 'x-forwarded-for': address });

    it('limits every HTTP request of one address with 429, whichever user it names, and not other addresses', async () => {
      server = await startServer(undefined, { security: behindProxy() });
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await http(`${server.url}/api/article`, 'GET', undefined, from('203.0.113.7'))).status);
      expect(statuses).to.deep.equal([200, 200, 200, 200, 429, 429]);
      const posted = await http(`${server.url}/api/messages`, 'POST', { userId: `fresh`, type: 'text', text: 'hi' }, from('203.0.113.7'));
      expect(posted.status).to.equal(429);
      expect(posted.headers.get('retry-after')).to.match(/^\d+$/);
      expect((await http(`${server.url}/api/article`, 'GET', undefined, from('203.0.113.8'))).status).to.equal(200);
    });

    it('limits socket connections and messages of one address; another address is unaffected', async () => {
      server = await startServer(undefined, { security: behindProxy() });
      const first = await connectUser(server.url, 'a1', from('198.51.100.1')); // 1 connection
      const acks = [];
      for (let i = 0; i < 4; i++) acks.push(await send(first.socket, { type: 'text', text: 'help', clientId: `c${i}` })); // 4 messages
      expect(acks.map((a) => (a.ok ? 'ok' : a.error.code))).to.deep.equal(['ok', 'ok', 'ok', 'rate_limited']);
      const refused = await rejection(connectUser(server.url, 'a2', from('198.51.100.1')), 'a second connection from the address');
      expect((refused as Error).message).to.match(/^rate_limited/);
      expect((refused as Error & { data?: { code: string } }).data?.code).to.equal('rate_limited');
      const elsewhere = await connectUser(server.url, 'b1', from('198.51.100.2'));
      expect((await send(elsewhere.socket, { type: 'text', text: 'help' })).ok).to.equal(true);
      first.socket.close();
      elsewhere.socket.close();
    });
  });

  it('on /wechat, answers a user over the limit with a text saying so, and does not limit the platform\'s address', async () => {
    const token = 'limits-token';
    server = await startServer(undefined, { wechat: { token }, security: security({ rateLimits: { perUser: { points: 2, seconds: 60 }, perAddress: { points: 3, seconds: 60 } } }) });
    const texts = [];
    for (let i = 0; i < 5; i++) texts.push((await post(signedUrl(server.url, token), textXml(`oUser${i % 2 ? 'B' : 'A'}`, 'payment', `10${i}`))).text);
    // A, B, A, B, A: five requests from one address pass; A's third message is over A's limit of two.
    expect(texts.slice(0, 4).every((t) => t.includes('Activate Mobile Payment'))).to.equal(true);
    expect(texts[4]).to.match(/Too many messages from this user/);
  });
});

describe('sockets per user', () => {
  let server: Running;
  afterEach(() => server.close());

  it('refuses a connection over the limit with too_many_connections, and counts a closed one out', async () => {
    server = await startServer(undefined, { security: security({ socketsPerUser: 2 }) });
    const opened: ChatSocket[] = [];
    const open = async (userId: string) => (await connectUser(server.url, userId)).socket;
    try {
      opened.push(await open('tabs'), await open('tabs'));
      const refused = await rejection(open('tabs'), 'a third tab');
      expect((refused as Error & { data?: { code: string } }).data?.code).to.equal('too_many_connections');
      const other = await open('other-user');
      opened.push(other);
      expect(other.connected).to.equal(true); // another user is unaffected
      opened[0]!.close();
      await until(() => server.app.openSockets() === 2);
      const third = await open('tabs');
      opened.push(third);
      expect(third.connected).to.equal(true);
    } finally {
      for (const socket of opened) socket.close();
    }
  });
});

describe('size limits', () => {
  it(`keeps at most ${MAX_RULES} rules: one more is a 409 that says why, and replacing one still works`, async () => {
    const content = seedContent();
    const rule = (i: number) => ({ id: `bulk-${i}`, name: `Bulk ${i}`, keywords: [{ text: `bulk${i}`, match: 'contain' as const }], replies: [{ type: 'text' as const, text: `Bulk ${i}` }], replyMode: 'all' as const });
    const seedRules = [...content.seedRules, ...Array.from({ length: MAX_RULES - content.seedRules.length - 1 }, (_, i) => rule(i))];
    const server = await startServer(undefined, { content: { ...content, seedRules } });
    try {
      const body = { name: 'Last', keywords: [{ text: 'last', match: 'contain' }], replies: [{ type: 'text', text: 'The last one' }] };
      expect((await http(`${server.url}/api/rules`, 'POST', { id: 'last', ...body })).status).to.equal(201);
      const over = await http(`${server.url}/api/rules`, 'POST', { id: 'one-too-many', ...body });
      expect(over.status).to.equal(409);
      expect(over.body.error.message).to.include(`${MAX_RULES} rules already`);
      expect((await http(`${server.url}/api/rules/one-too-many`, 'PUT', body)).status).to.equal(409);
      expect((await http(`${server.url}/api/rules/last`, 'PUT', { ...body, name: 'Still last' })).status).to.equal(200);
      expect((await http(`${server.url}/api/rules`, 'GET')).body.rules).to.have.length(MAX_RULES);
    } finally {
      await server.close();
    }
  });
});

describe('rate settings', () => {
  it('reads "N/Ts", "N/Tm" and "off", and refuses anything else naming the setting', () => {
    expect(parseRate('30/10s', 'X')).to.deep.equal({ points: 30, seconds: 10 });
    expect(parseRate('600/1m', 'X')).to.deep.equal({ points: 600, seconds: 60 });
    expect(parseRate('5/2', 'X')).to.deep.equal({ points: 5, seconds: 2 });
    expect(parseRate('off', 'X')).to.equal(undefined);
    for (const bad of ['', '0/10s', '10', 'ten/10s', '10/0s', '10/5h']) expect(() => parseRate(bad, 'RATE_LIMIT_USER'), bad).to.throw(/RATE_LIMIT_USER/);
  });
});
