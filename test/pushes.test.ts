// Who gets a `message` push: never the socket whose ack carries the message; every other socket of the
// user (a script, a tab) does, and messages no ack carries (customer-service messages) reach them all.
import { expect } from 'chai';
import { connect, type BotClient } from '../client/sdk/bot-client.ts';
import { parseConvo } from '../client/flows/parse.ts';
import { runFlow } from '../client/flows/runner.ts';
import type { StoredMessage } from '../server/contract.ts';
import { connectUser, send, startServer, until, type Running } from './helpers.ts';

const ids = (messages: StoredMessage[]) => messages.map((m) => m.id);
// A push that should not come would come right after the ack; a round trip on the same socket is later still.
const settle = (client: BotClient) => client.say('list');

describe('pushes', () => {
  let server: Running;
  let script: BotClient | undefined;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    script?.close();
    script = undefined;
    await server.close();
  });

  it('sends a script\'s exchange to the user\'s tab but not back to the script, and the tab\'s to the script', async () => {
    script = await connect({ url: server.url, userId: 'scripted' });
    const tab = await connectUser(server.url, 'scripted');
    const pushedToScript: StoredMessage[] = [];
    script.onMessage((m) => pushedToScript.push(m));

    const exchange = await script.send({ type: 'text', text: 'payment' });
    const scriptIds = [exchange.message.id, ...ids(exchange.replies)];
    await until(() => tab.received.length >= scriptIds.length);
    expect(ids(tab.received)).to.deep.equal(scriptIds);

    const ack = await send(tab.socket, { type: 'text', text: 'help' });
    if (!ack.ok) expect.fail(JSON.stringify(ack.error));
    const tabIds = [ack.message.id, ...ids(ack.replies)];
    await until(() => pushedToScript.length >= tabIds.length);
    expect(ids(pushedToScript)).to.deep.equal(tabIds, 'the script got only the tab\'s exchange');

    await settle(script);
    expect(ids(pushedToScript)).to.deep.equal(tabIds, 'the script got one of its own exchanges pushed back');
    tab.socket.close();
  });

  it('pushes a late customer-service message to every socket of the user, the last sender\'s included', async () => {
    script = await connect({ url: server.url, userId: 'served' });
    const tab = await connectUser(server.url, 'served');
    const other = await connectUser(server.url, 'someone-else');
    const pushedToScript: StoredMessage[] = [];
    script.onMessage((m) => pushedToScript.push(m));
    await script.say('games'); // the script is the last to have sent anything

    const delivered = await server.app.service.deliver('served', [{ type: 'text', text: 'Your order has shipped.' }]);
    expect(delivered).to.have.length(1);
    await until(() => pushedToScript.some((m) => m.id === delivered[0]!.id));
    await until(() => tab.received.some((m) => m.id === delivered[0]!.id));
    expect(pushedToScript.find((m) => m.id === delivered[0]!.id)).to.include({ from: 'bot', type: 'text', text: 'Your order has shipped.' });
    expect(other.received).to.deep.equal([]);

    // The late message is in the history too, after the exchange that came before it.
    const again = await connect({ url: server.url, userId: 'served' });
    expect(ids(again.history).at(-1)).to.equal(delivered[0]!.id);
    again.close();
    tab.socket.close();
    other.socket.close();
  });

  it('plays a flow whose answers come only in acks, and one whose answer comes only as a push', async () => {
    const convo = parseConvo(['Acks only', '', '#me', 'help', '', '#bot', 'How to use', '', '#me', '2', '', '#bot', 'Tencent'].join('\n'), 'acks.convo.txt');
    const result = await runFlow(convo, { url: server.url, timeoutMs: 3000 });
    expect(result.passed, JSON.stringify(result.failure)).to.equal(true);
    // Each message once in the transcript: the user's two, the bot's two, nothing pushed back twice.
    expect(result.transcript.map((m) => m.from)).to.deep.equal(['user', 'bot', 'user', 'bot']);
    expect(new Set(ids(result.transcript)).size).to.equal(4);

    // A flow that waits for a message no ack carries: the customer-service message arrives as a push.
    const waiting = parseConvo(['Pushed', '', '#me', 'help', '', '#bot', 'How to use', '', '#bot', 'Your order'].join('\n'), 'pushed.convo.txt');
    let flowUser: string | undefined;
    const stop = server.app.service.on('stored', (messages) => {
      for (const m of messages) if (m.from === 'user' && m.userId.startsWith('flow_')) flowUser = m.userId;
    });
    const played = runFlow(waiting, { url: server.url, timeoutMs: 3000 });
    await until(() => flowUser !== undefined && server.app.service.busyUsers === 0); // its exchange is answered
    stop();
    await server.app.service.deliver(flowUser!, [{ type: 'text', text: 'Your order has shipped.' }]);
    const pushed = await played;
    expect(pushed.passed, JSON.stringify(pushed.failure)).to.equal(true);
    expect(pushed.transcript.at(-1)).to.include({ from: 'bot', text: 'Your order has shipped.' });
  });
});
