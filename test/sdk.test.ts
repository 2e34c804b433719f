// The client SDK for scripts, against the real server.
import { expect } from 'chai';
import { BotClientError, connect } from '../client/sdk/bot-client.ts';
import { rejection, startServer, type Running } from './helpers.ts';

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
});
