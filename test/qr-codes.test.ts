// Parametric QR codes against code no one here wrote: co-wechat-api and wechat-api create them, the PNG is read
// back by jsQR (through pngjs), and scans reach a server built with node-webot's `wechat` middleware as
// `subscribe` with `qrscene_` or `SCAN`, over the socket, over HTTP and by arriving with auth.scan.
import { promisify } from 'node:util';
import { expect } from 'chai';
import API from 'co-wechat-api';
import WechatAPI from 'wechat-api';
import jsQRModule from 'jsqr';
import { PNG as PngImage } from 'pngjs';
import { io as connectSocket } from 'socket.io-client';
import { openIdOf } from '../server/wechat/remote-bot.ts';
import { connectUser, http, send, until } from './helpers.ts';
import { accessToken, accountServer, APPID, cgi, platformSimulator, SECRET } from './platform-helpers.ts';

// jsQR is CommonJS with a `default` export; Node hands over module.exports, which is the function too.
const jsQR = jsQRModule.default;

/** The text a QR decoder no one here wrote reads from a PNG. */
function decodeQr(png: Buffer): string | undefined {
  const image = PngImage.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
}

const texts = (messages: readonly object[]) => messages.map((m) => (m as { text?: string }).text).filter(Boolean);

describe('parametric QR codes and scans', () => {
  it('creates the four kinds with co-wechat-api and wechat-api, serves a PNG that decodes to the code URL, and turns scans into subscribe with qrscene_ or SCAN', async () => {
    const account = await accountServer((message, res) => {
      if (message.Event === 'subscribe') return res.reply(`welcome ${message.EventKey ?? ''} ${message.Ticket ?? ''}`.trim());
      if (message.Event === 'SCAN') return res.reply(`scanned ${message.EventKey} ${message.Ticket}`);
      res.reply('');
    });
    const sim = await platformSimulator(account.url);
    const api = new API(APPID, SECRET);
    api.prefix = `${sim.url}/cgi-bin/`;
    api.mpPrefix = `${sim.url}/cgi-bin/`;
    const legacy = new WechatAPI(APPID, SECRET);
    legacy.endpoint = sim.url;
    legacy.mpPrefix = `${sim.url}/cgi-bin/`;
    try {
      const temporary = await api.createTmpQRCode(123, 600);
      expect(temporary).to.include({ expire_seconds: 600 });
      expect(temporary.ticket).to.be.a('string');
      expect(temporary.url).to.equal(`${sim.url}/q/${temporary.ticket}`);
      const poster = await api.createLimitQRCode('poster-A');
      expect(poster).to.have.keys(['ticket', 'url']);
      // The same permanent scene is the same code, as on the platform.
      expect((await api.createLimitQRCode('poster-A')).ticket).to.equal(poster.ticket);
      const tmpStr = await promisify(legacy.createTmpQRCode.bind(legacy))('summer-sale', undefined);
      expect(tmpStr.expire_seconds).to.equal(60); // the platform's default
      const limitId = await promisify(legacy.createLimitQRCode.bind(legacy))(100000);
      expect(limitId.ticket).to.be.a('string');

      // The image, fetched where the libraries say it is, decodes to the code's URL.
      const image = await fetch(api.showQRCodeURL(encodeURIComponent(temporary.ticket)));
      expect(image.status).to.equal(200);
      expect(image.headers.get('content-type')).to.equal('image/png');
      expect(decodeQr(Buffer.from(await image.arrayBuffer()))).to.equal(temporary.url);
      const legacyImage = await fetch(legacy.showQRCodeURL(limitId.ticket));
      expect(decodeQr(Buffer.from(await legacyImage.arrayBuffer()))).to.equal(limitId.url);
      expect((await fetch(`${sim.url}/cgi-bin/showqrcode?ticket=nope`)).status).to.equal(404);
      // Opening the decoded URL opens the chat window by that scan.
      const opened = await fetch(temporary.url, { redirect: 'manual' });
      expect(opened.status).to.equal(302);
      expect(opened.headers.get('location')).to.equal(`/?scan=${temporary.ticket}`);

      const { body: listed } = await http(`${sim.url}/api/qrcodes`, 'GET');
      expect(listed.codes.map((c: { scene: string }) => c.scene).sort()).to.deep.equal(['100000', '123', 'poster-A', 'summer-sale']);

      // A new user arriving by the temporary code follows by it.
      const bob = await connectUser(sim.url, 'bob');
      bob.socket.close();
      const dora = await new Promise<Awaited<ReturnType<typeof connectUser>>['ready']>((resolve, reject) => {
        const socket = connectSocket(sim.url, { auth: { userId: 'dora', scan: temporary.ticket }, transports: ['websocket'], forceNew: true, reconnection: false });
        socket.once('ready', (ready) => {
          socket.close();
          resolve(ready);
        });
        socket.once('connect_error', reject);
      });
      expect(texts(dora.history)).to.deep.equal([`welcome qrscene_123 ${temporary.ticket}`]);
      const doraPush = account.received.find((m) => m.FromUserName === openIdOf('dora'))!;
      expect(doraPush).to.include({ MsgType: 'event', Event: 'subscribe', EventKey: 'qrscene_123', Ticket: temporary.ticket });
      const token = await accessToken(sim.url);
      const { body: doraInfo } = await cgi(sim.url, `user/info?openid=${openIdOf('dora')}`, token);
      expect(doraInfo).to.include({ subscribe: 1, subscribe_scene: 'ADD_SCENE_QR_CODE', qr_scene: 123, qr_scene_str: '' });

      // A follower's scan over the socket is a SCAN with the bare scene.
      const alice = await connectUser(sim.url, 'alice');
      const scanned = await send(alice.socket, { type: 'event', event: 'scan', ticket: poster.ticket });
      expect(scanned.ok).to.equal(true);
      if (!scanned.ok) return;
      expect(scanned.message).to.include({ type: 'event', event: 'scan', ticket: poster.ticket });
      expect(texts(scanned.replies)).to.deep.equal([`scanned poster-A ${poster.ticket}`]);
      const { body: aliceInfo } = await cgi(sim.url, `user/info?openid=${openIdOf('alice')}`, token);
      expect(aliceInfo).to.include({ subscribe_scene: 'ADD_SCENE_SEARCH', qr_scene: 0 });

      // After unfollowing, a scan is a follow again: subscribe with qrscene_, and the scene in user/info.
      await send(alice.socket, { type: 'event', event: 'unsubscribe' });
      const again = await send(alice.socket, { type: 'event', event: 'scan', ticket: poster.ticket });
      expect(again.ok && texts(again.replies)).to.deep.equal([`welcome qrscene_poster-A ${poster.ticket}`]);
      const { body: aliceAgain } = await cgi(sim.url, `user/info?openid=${openIdOf('alice')}`, token);
      expect(aliceAgain).to.include({ subscribe: 1, subscribe_scene: 'ADD_SCENE_QR_CODE', qr_scene: 0, qr_scene_str: 'poster-A' });
      alice.socket.close();

      // Over HTTP, a new user's first message being a scan follows by it too.
      const { status, body: carol } = await http(`${sim.url}/api/messages`, 'POST', { userId: 'carol', type: 'event', event: 'scan', ticket: limitId.ticket });
      expect(status).to.equal(200);
      expect(texts(carol.replies)).to.deep.equal([`welcome qrscene_100000 ${limitId.ticket}`]);
      const { body: carolInfo } = await cgi(sim.url, `user/info?openid=${openIdOf('carol')}`, token);
      expect(carolInfo).to.include({ subscribe_scene: 'ADD_SCENE_QR_CODE', qr_scene: 100000 });
    } finally {
      await sim.close();
      await account.close();
    }
  });

  it('refuses bad codes with the platform’s errcodes, and expired or unknown tickets with a reason over the socket, HTTP and auth.scan, sending nothing', async () => {
    const account = await accountServer((_message, res) => res.reply(''));
    let clock = Date.parse('2025-03-01T08:00:00Z');
    const sim = await platformSimulator(account.url, { now: () => clock });
    try {
      const token = await accessToken(sim.url);
      const create = (body: unknown) => cgi(sim.url, 'qrcode/create', token, body).then((r) => r.body);
      const bad = [
        [{ action_name: 'QR_FOREVER', action_info: { scene: { scene_id: 1 } } }, 40097],
        [{ action_name: 'QR_SCENE', action_info: { scene: { scene_id: 0 } } }, 40053],
        [{ action_name: 'QR_SCENE', action_info: { scene: { scene_id: 2 ** 32 } } }, 40053],
        [{ action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 100001 } } }, 40053],
        [{ action_name: 'QR_LIMIT_STR_SCENE', action_info: { scene: { scene_str: 'x'.repeat(65) } } }, 40053],
        [{ action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: '' } } }, 40053],
        [{ action_name: 'QR_SCENE', expire_seconds: 2_592_001, action_info: { scene: { scene_id: 5 } } }, 40097],
        [{ action_name: 'QR_SCENE' }, 40053],
      ] as const;
      for (const [body, errcode] of bad) expect(await create(body), JSON.stringify(body)).to.include({ errcode });
      expect((await http(`${sim.url}/api/qrcodes`, 'GET')).body.codes).to.deep.equal([]);

      const code = await create({ action_name: 'QR_SCENE', expire_seconds: 60, action_info: { scene: { scene_id: 7 } } });
      expect(code.expire_seconds).to.equal(60);
      const alice = await connectUser(sim.url, 'alice');
      const pushes = account.received.length;
      clock += 61_000;
      const expired = await send(alice.socket, { type: 'event', event: 'scan', ticket: code.ticket });
      expect(expired).to.deep.include({ ok: false });
      expect(!expired.ok && expired.error.code).to.equal('qrcode_expired');
      const unknown = await send(alice.socket, { type: 'event', event: 'scan', ticket: 'gQnotATicketOfThisAccount' });
      expect(!unknown.ok && unknown.error.code).to.equal('not_found');
      const junk = await send(alice.socket, { type: 'event', event: 'scan', ticket: '<script>' });
      expect(!junk.ok && junk.error.code).to.equal('bad_request');
      const overHttp = await http(`${sim.url}/api/messages`, 'POST', { userId: 'alice', type: 'event', event: 'scan', ticket: code.ticket });
      expect(overHttp.status).to.equal(410);
      expect(overHttp.body.error.code).to.equal('qrcode_expired');
      const refused = await new Promise<Error>((resolve, reject) => {
        const socket = connectSocket(sim.url, { auth: { userId: 'erin', scan: code.ticket }, transports: ['websocket'], forceNew: true, reconnection: false });
        socket.once('ready', () => reject(new Error('connected with an expired code')));
        socket.once('connect_error', (err) => {
          socket.close();
          resolve(err);
        });
      });
      expect(refused.message).to.match(/^qrcode_expired: /);
      expect((await fetch(`${sim.url}/cgi-bin/showqrcode?ticket=${code.ticket}`)).status).to.equal(404);
      // Nothing reached the server, and nothing was stored for the refused user.
      await new Promise((r) => setTimeout(r, 50));
      expect(account.received.length).to.equal(pushes);
      expect((await http(`${sim.url}/api/messages?userId=erin`, 'GET')).body.messages).to.deep.equal([]);
      expect((await http(`${sim.url}/api/messages?userId=alice`, 'GET')).body.messages.filter((m: { event?: string }) => m.event === 'scan')).to.deep.equal([]);
      alice.socket.close();
      await until(() => sim.app.openSockets() === 0);
    } finally {
      await sim.close();
      await account.close();
    }
  });
});

describe('parametric QR codes on a store that outlives the process', () => {
  it('keeps the code and the follower’s scene in lowdb files across a restart', async () => {
    const { fileLocation } = await import('../server/store/low-location.ts');
    const { tempDir } = await import('./helpers.ts');
    const tmp = await tempDir();
    const account = await accountServer((_message, res) => res.reply(''));
    const dbFile = `${tmp.dir}/db.json`;
    try {
      let sim = await platformSimulator(account.url, {}, fileLocation(dbFile));
      let token = await accessToken(sim.url);
      const { body: code } = await cgi(sim.url, 'qrcode/create', token, { action_name: 'QR_LIMIT_STR_SCENE', action_info: { scene: { scene_str: 'kept' } } });
      const ack = await http(`${sim.url}/api/messages`, 'POST', { userId: 'fay', type: 'event', event: 'scan', ticket: code.ticket });
      expect(ack.status).to.equal(200);
      await sim.close();
      sim = await platformSimulator(account.url, {}, fileLocation(dbFile));
      try {
        token = await accessToken(sim.url);
        const { body: info } = await cgi(sim.url, `user/info?openid=${openIdOf('fay')}`, token);
        expect(info).to.include({ subscribe_scene: 'ADD_SCENE_QR_CODE', qr_scene_str: 'kept' });
        expect((await http(`${sim.url}/api/qrcodes`, 'GET')).body.codes.map((c: { scene: string }) => c.scene)).to.deep.equal(['kept']);
      } finally {
        await sim.close();
      }
    } finally {
      await account.close();
      await tmp.remove();
    }
  });
});
