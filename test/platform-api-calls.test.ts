// The platform API-call stream over real sockets: only developer panels that subscribed get `apiCall`, and a
// panel that subscribes later gets the newest calls kept by the store (lowdb files here; every store in
// store-conformance), across a restart too.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { ApiCall, SubscribeAck } from '../server/contract.ts';
import { API_CALLS_KEPT } from '../server/limits.ts';
import { fileStore } from '../server/store/low-store.ts';
import { connectUser, eachTestTempDir, http, startServer, until, type ChatSocket, type Running } from './helpers.ts';
import { accessToken, APPID, cgi, SECRET } from './platform-helpers.ts';

const platform = { appId: APPID, secret: SECRET };
const subscribe = (socket: ChatSocket, apiCalls: boolean) => socket.timeout(5000).emitWithAck('subscribe', { apiCalls }) as Promise<SubscribeAck>;

describe('the API-call stream', () => {
  let server: Running;
  const sockets: ChatSocket[] = [];
  afterEach(async () => {
    sockets.splice(0).forEach((s) => s.close());
    await server.close();
  });
  const tmp = eachTestTempDir();
  const start = async () => {
    server = await startServer(fileStore(tmp.dbFile), { platform });
  };
  const connect = async (userId: string) => {
    const { socket } = await connectUser(server.url, userId);
    sockets.push(socket);
    const calls: ApiCall[] = [];
    socket.on('apiCall', (call) => calls.push(call));
    return { socket, calls };
  };

  it('goes to the subscribed socket only, until it unsubscribes', async () => {
    await start();
    const panel = await connect('developer');
    const other = await connect('someone-else');
    expect(await subscribe(panel.socket, true)).to.deep.equal({ ok: true, apiCalls: [] });
    const token = await accessToken(server.url);
    await cgi(server.url, 'menu/get', token);
    await until(() => panel.calls.length === 2);
    // The calls went out before this answer: had the other socket been subscribed, they would have come first.
    await subscribe(other.socket, false);
    expect(other.calls).to.deep.equal([]);
    expect(panel.calls.map((c) => c.path)).to.deep.equal([`/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=***`, '/cgi-bin/menu/get']);
    expect(panel.calls[1]).to.include({ method: 'GET', errcode: 46003 });

    await subscribe(panel.socket, false);
    await cgi(server.url, 'menu/delete', token);
    expect((await server.app.service.recentApiCalls()).at(-1)!.path).to.equal('/cgi-bin/menu/delete'); // kept, and told nobody
    await subscribe(panel.socket, true); // answered after the call was kept: an event for it would have come first
    expect(panel.calls).to.have.length(2);
  });

  it('answers a later subscription with the newest calls kept, oldest first, after a restart too, without the token', async () => {
    await start();
    const token = await accessToken(server.url);
    const total = API_CALLS_KEPT + 3;
    for (let i = 1; i < total; i++) await cgi(server.url, `user/info?openid=o${i}`, token);
    const late = await connect('late-developer');
    const ack = await subscribe(late.socket, true);
    if (!ack.ok) expect.fail(JSON.stringify(ack));
    expect(ack.apiCalls).to.have.length(API_CALLS_KEPT);
    expect(ack.apiCalls.at(-1)!.path).to.equal(`/cgi-bin/user/info?openid=o${total - 1}`);
    expect(ack.apiCalls[0]!.path).to.equal(`/cgi-bin/user/info?openid=o${total - API_CALLS_KEPT}`);
    expect(JSON.stringify(ack.apiCalls)).not.to.include(token);
    expect(new Set(ack.apiCalls.map((c) => c.id)).size).to.equal(API_CALLS_KEPT);
    sockets.splice(0).forEach((s) => s.close());
    await server.close();

    expect(readFileSync(tmp.dbFile, 'utf8')).not.to.include('user/info'); // db.json stays small
    await start();
    const again = await connect('after-restart');
    const replayed = await subscribe(again.socket, true);
    expect(replayed).to.deep.equal(ack);
  });

  it('refuses a subscription it cannot read with 400 bad_request, subscribing to nothing', async () => {
    await start();
    const panel = await connect('confused');
    const ack = (await panel.socket.timeout(5000).emitWithAck('subscribe', { apiCalls: 'yes' } as never)) as SubscribeAck;
    expect(ack).to.deep.include({ ok: false });
    expect((ack as { error: { code: string } }).error.code).to.equal('bad_request');
    await http(`${server.url}/cgi-bin/menu/get`, 'GET');
    await subscribe(panel.socket, false);
    expect(panel.calls).to.deep.equal([]);
  });
});
