import path from 'node:path';
import { expect } from 'chai';
import { io as connectSocket } from 'socket.io-client';
import type { MessageAck, StoredMessage } from '../server/contract.ts';
import { fileStore } from '../server/store/low-store.ts';
import { connectUser, http, send, startServer, tempDir, until, type Running } from './helpers.ts';

const okAck = (ack: MessageAck) => {
  if (!ack.ok) expect.fail(`expected ok, got ${JSON.stringify(ack.error)}`);
  return ack;
};

describe('Socket.IO contract', () => {
  let server: Running;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(() => server.close());

  it('gives a new user an id, the account with its menu, and a welcome in the history', async () => {
    const { socket, ready } = await connectUser(server.url);
    expect(ready.userId).to.match(/^[A-Za-z0-9_-]{1,64}$/);
    expect(ready.account.name).to.equal('WeChat Business Watch');
    expect(ready.account.menu).to.have.length(3);
    expect(ready.history).to.have.length(1);
    expect(ready.history[0]).to.include({ from: 'bot', type: 'text', userId: ready.userId });
    expect((ready.history[0] as { text: string }).text).to.match(/^Welcome/);
    socket.close();
  });

  it('answers a keyword with the section, acknowledging the stored message and replies', async () => {
    const { socket, ready } = await connectUser(server.url, 'alice');
    const ack = okAck(await send(socket, { type: 'text', text: 'payment' }));
    expect(ack.message).to.include({ type: 'text', text: 'payment', from: 'user', userId: 'alice' });
    expect(ack.message.id).to.be.a('string');
    expect(Date.parse(ack.message.createdAt)).to.be.closeTo(Date.now(), 60_000);
    expect(ack.replies).to.have.length(1);
    expect(ack.replies[0]).to.deep.include({ from: 'bot', replyTo: ack.message.id, type: 'news' });
    expect((ack.replies[0] as { articles: Array<{ sectionId: string }> }).articles[0]!.sectionId).to.equal('payment');
    const { socket: again, ready: second } = await connectUser(server.url, 'alice');
    expect(second.history.map((m) => m.id)).to.deep.equal([...ready.history, ack.message, ...ack.replies].map((m) => m.id));
    socket.close();
    again.close();
  });

  it('answers Chinese keywords, menu clicks and subscribe events', async () => {
    const { socket } = await connectUser(server.url, 'bob');
    const chinese = okAck(await send(socket, { type: 'text', text: '游戏' }));
    expect((chinese.replies[0] as { articles: Array<{ sectionId: string }> }).articles[0]!.sectionId).to.equal('games');
    const click = okAck(await send(socket, { type: 'event', event: 'click', key: 'list' }));
    expect(click.message).to.include({ type: 'event', event: 'click', key: 'list' });
    expect((click.replies[0] as { text: string }).text).to.include('1. Introduction');
    const subscribe = okAck(await send(socket, { type: 'event', event: 'subscribe' }));
    expect((subscribe.replies[0] as { text: string }).text).to.match(/^Welcome/);
    socket.close();
  });

  it('pushes a message to the user\'s other tabs, not back to the tab whose ack carries it, and to no other user', async () => {
    const tabA = await connectUser(server.url, 'carol');
    const tabB = await connectUser(server.url, 'carol');
    const other = await connectUser(server.url, 'dave');
    const ack = okAck(await send(tabA.socket, { type: 'text', text: 'help' }));
    const ids = [ack.message.id, ...ack.replies.map((m) => m.id)];
    await until(() => tabB.received.length >= 2);
    expect(tabB.received.map((m) => m.id)).to.deep.equal(ids);
    const back = okAck(await send(tabB.socket, { type: 'text', text: 'list' }));
    await until(() => tabA.received.length >= 2);
    expect(tabA.received.map((m) => m.id)).to.deep.equal([back.message.id, ...back.replies.map((m) => m.id)]);
    await new Promise((r) => setTimeout(r, 50));
    expect(tabB.received.map((m) => m.id)).to.deep.equal(ids, 'tab B got its own exchange pushed back');
    expect(other.received).to.deep.equal([]);
    for (const tab of [tabA, tabB, other]) tab.socket.close();
  });

  it('also pushes messages sent over HTTP to the user\'s sockets', async () => {
    const tab = await connectUser(server.url, 'erin');
    const res = await http(`${server.url}/api/messages`, 'POST', { userId: 'erin', type: 'text', text: '2' });
    expect(res.status).to.equal(200);
    await until(() => tab.received.length >= 2);
    expect(tab.received.map((m) => m.id)).to.deep.equal([res.body.message.id, res.body.replies[0].id]);
    tab.socket.close();
  });

  it('answers a resend with the same clientId with the first answer, storing nothing new', async () => {
    const { socket } = await connectUser(server.url, 'frank');
    const first = okAck(await send(socket, { type: 'text', text: 'games', clientId: 'c-1' }));
    const again = okAck(await send(socket, { type: 'text', text: 'games', clientId: 'c-1' }));
    expect(again.message).to.deep.equal(first.message);
    expect(again.replies).to.deep.equal(first.replies);
    const history = await http(`${server.url}/api/messages?userId=frank`, 'GET');
    expect(history.body.messages).to.have.length(3); // welcome, message, reply
    // Same clientId from another user is another message.
    const { socket: other } = await connectUser(server.url, 'grace');
    const theirs = okAck(await send(other, { type: 'text', text: 'games', clientId: 'c-1' }));
    expect(theirs.message.id).not.to.equal(first.message.id);
    socket.close();
    other.close();
  });

  const badInputs: Array<[string, unknown, string]> = [
    ['a string', 'hello', 'bad_request'],
    ['null', null, 'bad_request'],
    ['an array', [1, 2], 'bad_request'],
    ['a number', 42, 'bad_request'],
    ['an unknown type', { type: 'image', url: 'x' }, 'bad_request'],
    ['a missing text', { type: 'text' }, 'bad_request'],
    ['a text that is not a string', { type: 'text', text: 12 }, 'bad_request'],
    ['empty text', { type: 'text', text: '' }, 'bad_request'],
    ['blank text', { type: 'text', text: ' \n\t ' }, 'bad_request'],
    ['text over 2000 characters', { type: 'text', text: 'x'.repeat(2001) }, 'too_long'],
    ['an unknown event', { type: 'event', event: 'explode' }, 'bad_request'],
    ['a click without a key', { type: 'event', event: 'click' }, 'bad_request'],
    ['a bad clientId', { type: 'text', text: 'hi', clientId: 'no spaces allowed' }, 'bad_request'],
  ];
  it('refuses every kind of bad input with a code and a message, storing nothing', async () => {
    const { socket, ready } = await connectUser(server.url, 'henry');
    for (const [what, input, code] of badInputs) {
      const ack = await send(socket, input);
      expect(ack.ok, what).to.equal(false);
      if (!ack.ok) {
        expect(ack.error.code, what).to.equal(code);
        expect(ack.error.message, what).to.be.a('string').with.length.greaterThan(5);
      }
    }
    const history = await http(`${server.url}/api/messages?userId=henry`, 'GET');
    expect(history.body.messages.map((m: StoredMessage) => m.id)).to.deep.equal(ready.history.map((m) => m.id));
    // The connection still works.
    okAck(await send(socket, { type: 'text', text: 'list' }));
    socket.close();
  });

  it('names the field in a validation error', async () => {
    const { socket } = await connectUser(server.url, 'ivy');
    const ack = await send(socket, { type: 'text', text: 'x'.repeat(2001) });
    expect(ack.ok).to.equal(false);
    if (!ack.ok) expect(ack.error.message).to.match(/^text: .*2000/);
    socket.close();
  });

  it('survives a message without an ack callback, and a payload over the size limit', async () => {
    const { socket } = await connectUser(server.url, 'jack');
    const untyped = socket as unknown as { emit: (event: string, ...args: unknown[]) => void };
    untyped.emit('message', { type: 'text', text: 'no ack' });
    okAck(await send(socket, { type: 'text', text: 'still here' }));
    const history = await http(`${server.url}/api/messages?userId=jack`, 'GET');
    expect(history.body.messages.some((m: { text?: string }) => m.text === 'no ack')).to.equal(false);
    // Over maxHttpBufferSize Socket.IO drops that connection; the server keeps serving others.
    const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
    untyped.emit('message', { type: 'text', text: 'x'.repeat(200_000) }, () => {});
    await disconnected;
    const { socket: fresh } = await connectUser(server.url, 'jack');
    okAck(await send(fresh, { type: 'text', text: 'back' }));
    fresh.close();
  });

  for (const [what, userId] of [
    ['spaces', 'a b'],
    ['too long', 'x'.repeat(65)],
    ['a number', 42],
    ['path characters', '../etc'],
  ] as const) {
    it(`refuses a userId with ${what} with a connect_error saying why`, async () => {
      const socket = connectSocket(server.url, { auth: { userId }, transports: ['websocket'], forceNew: true, reconnection: false });
      const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      expect(error.message).to.match(/userId must be 1 to 64 characters/);
      socket.close();
    });
  }
});

describe('Socket.IO contract: over a restart', () => {
  it('keeps the history in the lowdb file, and does not welcome a known user twice', async () => {
    const tmp = await tempDir();
    const dbFile = path.join(tmp.dir, 'db.json');
    const first = await startServer(fileStore(dbFile));
    const { socket } = await connectUser(first.url, 'kate');
    const ack = okAck(await send(socket, { type: 'text', text: 'games' }));
    socket.close();
    await first.close();

    const second = await startServer(fileStore(dbFile));
    const { socket: again, ready } = await connectUser(second.url, 'kate');
    expect(ready.history.map((m) => m.id).slice(-2)).to.deep.equal([ack.message.id, ack.replies[0]!.id]);
    expect(ready.history.filter((m) => m.from === 'bot' && 'text' in m && /^Welcome/.test(m.text))).to.have.length(1);
    again.close();
    await second.close();
    await tmp.remove();
  });
});
