// The client SDK for scripts, against the real server.
import { expect } from 'chai';
import { BotClientError, connect } from '../client/sdk/bot-client.ts';
import { rejection, startServer, type Running } from './helpers.ts';

/** A server that takes `points` requests (connections and messages) a second from one address. */
const limitedServer = (points: number) => startServer(undefined, { security: { rateLimits: { perAddress: { points, seconds: 1 } }, socketsPerUser: Infinity, corsOrigins: [] } });

describe('client SDK', () => {
  let server: Running;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it('says, clicks and subscribes, resolving with the stored bot replies', async () => {
    const bot = await connect({ url: server.url });
    expect(bot.userId).to.match(/^u_/);
    expect(bot.account.name).to.equal('WeChat Business Watch');
    expect(bot.history[0]).to.include({ from: 'bot' });
    const replies = await bot.say('payment');
    expect(replies[0]).to.deep.include({ from: 'bot', type: 'news', userId: bot.userId });
    const list = await bot.click('list');
    expect((list[0] as { text: string }).text).to.include('1. Introduction');
    const welcome = await bot.subscribe();
    expect((welcome[0] as { text: string }).text).to.match(/^Welcome/);
    expect(await bot.unsubscribe()).to.deep.equal([]);
    bot.close();
  });

  it('sees messages sent from elsewhere for the same user', async () => {
    const a = await connect({ url: server.url, userId: 'sdk-shared' });
    const b = await connect({ url: server.url, userId: 'sdk-shared' });
    const seen: string[] = [];
    const pushed = new Promise<void>((resolve) => b.onMessage((m) => (seen.push(m.id), m.from === 'bot' && resolve())));
    const replies = await a.say('games');
    await pushed;
    expect(seen).to.include(replies[0]!.id);
    a.close();
    b.close();
  });

  it('throws the server\'s error code for a refused message', async () => {
    const bot = await connect({ url: server.url });
    const err = await rejection(bot.say('x'.repeat(2001)), 'a message of 2001 characters');
    bot.close();
    expect(err).to.be.instanceOf(BotClientError);
    expect((err as BotClientError).code).to.equal('too_long');
  });

  it('fails clearly on a bad user id, an unreachable server, and a closed connection', async () => {
    const badId = await rejection(connect({ url: server.url, userId: 'bad id' }), 'a bad user id');
    expect((badId as BotClientError).code).to.equal('connect_failed');
    expect((badId as Error).message).to.match(/userId must be/);
    const unreachable = await rejection(connect({ url: 'http://127.0.0.1:9', timeoutMs: 1000 }), 'an unreachable server');
    expect((unreachable as BotClientError).code).to.be.oneOf(['connect_failed', 'timeout']);
    expect((unreachable as Error).message).to.include('127.0.0.1:9');
    const bot = await connect({ url: server.url });
    bot.close();
    const closed = await rejection(bot.say('hi'), 'a message on a closed connection');
    expect((closed as BotClientError).code).to.equal('disconnected');
  });

  describe('over the server\'s rate limit', () => {
    let limited: Running;
    beforeEach(async () => {
      limited = await limitedServer(3);
    });
    afterEach(() => limited.close());

    it('throws rate_limited with how long to wait; with retryRateLimited, waits as told and sends again, each message stored once', async () => {
      const plain = await connect({ url: limited.url });
      const refusals = [];
      for (let i = 0; i < 3; i++) refusals.push(await plain.say(`hello ${i}`).catch((err: unknown) => err));
      const refused = refusals.find((r) => r instanceof BotClientError) as BotClientError;
      expect(refused.code).to.equal('rate_limited');
      expect(refused.retryAfterMs).to.be.within(1, 1000);
      plain.close();

      const waits: number[] = [];
      const bots = [];
      // Connections count too: the third and fourth are refused at first, then let in.
      for (let i = 0; i < 4; i++) bots.push(await connect({ url: limited.url, retryRateLimited: true, onRateLimited: (ms) => waits.push(ms) }));
      const bot = bots.at(-1)!;
      for (let i = 0; i < 4; i++) expect(await bot.say(`payment ${i}`)).to.have.length.greaterThan(0);
      expect(waits.length).to.be.greaterThan(0);
      expect(waits.every((ms) => ms > 0 && ms <= 1000)).to.equal(true);
      const messages = await limited.app.service.history(bot.userId, { limit: 50 });
      expect(messages!.filter((m) => m.from === 'user')).to.have.length(4);
      bots.forEach((b) => b.close());
    });
  });
});

