// The rest of the test account across processes: two processes of the real server on one redis-server, in front
// of a server built with node-webot's `wechat` middleware. A code created on one is scanned on the other, tags
// made on one are seen on the other, and a mass message sent from one reaches a window open on the other.
import { expect } from 'chai';
import API from 'co-wechat-api';
import { buildServer } from '../server/build.ts';
import { openIdOf } from '../server/wechat/remote-bot.ts';
import { connectUser, tempDir, until } from './helpers.ts';
import { accountServer, TOKEN, type WeixinMessage } from './platform-helpers.ts';
import { start, stop, type Started } from './process-helpers.ts';
import { startRedis, type RedisServer } from './redis-helpers.ts';
import { io as connectSocket } from 'socket.io-client';

const APPID = 'wxcluster0000002';
const SECRET = 'cluster-account-secret';

describe('the test account on many processes', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let account: Awaited<ReturnType<typeof accountServer>>;
  const finished: WeixinMessage[] = [];
  const servers: Started[] = [];
  const folders: Array<() => Promise<void>> = [];

  before(async () => {
    await buildServer();
    redis = await startRedis();
    account = await accountServer((message, res) => {
      if (message.Event === 'MASSSENDJOBFINISH') finished.push(message);
      if (message.Event === 'subscribe') return res.reply(`welcome ${message.EventKey ?? ''}`.trim());
      res.reply('');
    });
    for (let i = 0; i < 2; i++) {
      const tmp = await tempDir();
      folders.push(tmp.remove);
      servers.push(await start({ REDIS_URL: redis.url, DB_FILE: `${tmp.dir}/db.json`, TARGET_URL: account.url, TARGET_TOKEN: TOKEN, TARGET_APPID: APPID, TARGET_SECRET: SECRET, TARGET_RETRIES: '0' }));
    }
  });
  after(async () => {
    await Promise.all(servers.map(stop));
    await account?.close();
    await redis?.stop();
    await Promise.all(folders.map((remove) => remove()));
  });

  it('scans a code made on one process on the other, shares tags, and delivers a mass message sent from one to a window on the other', async () => {
    const [a, b] = servers as [Started, Started];
    const api = new API(APPID, SECRET);
    api.prefix = `${a.url}/cgi-bin/`;
    const code = await api.createTmpQRCode(777, 600);
    // Arriving on b by a code made on a.
    const ready = await new Promise<{ history: Array<{ text?: string }> }>((resolve, reject) => {
      const socket = connectSocket(b.url, { auth: { userId: 'scanner', scan: code.ticket }, transports: ['websocket'], forceNew: true, reconnection: false });
      socket.once('ready', (r) => {
        socket.close();
        resolve(r as never);
      });
      socket.once('connect_error', reject);
    });
    expect(ready.history.map((m) => m.text)).to.deep.equal(['welcome qrscene_777']);
    expect(await api.getUser(openIdOf('scanner'))).to.include({ subscribe_scene: 'ADD_SCENE_QR_CODE', qr_scene: 777 });

    const onB = await connectUser(b.url, 'reader');
    const onA = await connectUser(a.url, 'other');
    const vip = (await api.createTags('vip')).tag.id;
    await api.batchTagging([openIdOf('reader'), openIdOf('scanner')], vip);
    const onBApi = new API(APPID, SECRET);
    onBApi.prefix = `${b.url}/cgi-bin/`;
    expect((await onBApi.getTags()).tags).to.deep.equal([{ id: vip, name: 'vip', count: 2 }]);

    const sent = await api.massSendText('For the VIPs', vip);
    await until(() => finished.some((m) => m.MsgID === String(sent.msg_id)), 10_000);
    expect(finished.find((m) => m.MsgID === String(sent.msg_id))).to.include({ TotalCount: '2', SentCount: '2' });
    await until(() => onB.received.some((m) => (m as { text?: string }).text === 'For the VIPs'), 5000);
    expect(onA.received.map((m) => (m as { text?: string }).text)).to.not.include('For the VIPs');
    expect(await onBApi.getMassMessageStatus(sent.msg_id)).to.deep.include({ msg_status: 'SEND_SUCCESS' });
    onA.socket.close();
    onB.socket.close();
  });
});
