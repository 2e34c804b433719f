// WeChat Pay notifications through real HTTP to a real handler: verified and decrypted with
// wechatpay-axios-plugin's Rsa.verify and Aes.AesGcm.decrypt, retried on the (compressed) schedule until
// acknowledged, kept across a restart, and sent once by two processes sharing a Redis.
import { expect } from 'chai';
import { RedisStore } from '../server/store/redis-store.ts';
import { LowStore } from '../server/store/low-store.ts';
import { fileLocation } from '../server/store/low-location.ts';
import { NOTIFY_TIMEOUT_MS, RETRY_SCHEDULE_MS } from '../server/pay/notifications.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectUser, eachTestTempDir, until, type ChatSocket } from './helpers.ts';
import { suiteRedis } from './redis-helpers.ts';
import { notifyHandler, openNotification, paidNativeOrder, payClient, paySimulator, MCHID } from './pay-helpers.ts';
import type { ApiCall, SubscribeAck } from '../server/contract.ts';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildServer } from '../server/build.ts';
import { start, stop } from './process-helpers.ts';
import { APPID } from './platform-helpers.ts';
import { APIV3_KEY, MCH_PUBLIC_PEM, MCH_SERIAL } from './pay-helpers.ts';

describe('WeChat Pay: notifications', function () {
  this.timeout(30_000);
  const temp = eachTestTempDir();

  it('retries a handler that fails twice, on the schedule, until it acknowledges: 3 sends, each signed and encrypted', async () => {
    const handler = await notifyHandler((n) => (n <= 2 ? 500 : 200));
    const sim = await paySimulator({ pay: { notifySpeedup: 100 } });
    const panel = await connectUser(sim.url, 'panel');
    const calls: ApiCall[] = [];
    (panel.socket as ChatSocket).on('apiCall', (call) => calls.push(call));
    await ((panel.socket as ChatSocket).timeout(5000).emitWithAck('subscribe', { apiCalls: true }) as Promise<SubscribeAck>);
    try {
      const { wxpay, pem } = await payClient(sim.url);
      const { outTradeNo, transaction } = await paidNativeOrder(sim.url, wxpay, handler.url);
      await until(() => handler.deliveries.length === 3, 10_000);
      await new Promise((r) => setTimeout(r, 3 * RETRY_SCHEDULE_MS[3]! / 100)); // long enough for a 4th, were there one
      expect(handler.deliveries).to.have.length(3);
      const opened = handler.deliveries.map((d) => openNotification(d, pem));
      expect(new Set(opened.map((o) => o.envelope.id)).size).to.equal(1);
      expect(opened[0]!.envelope).to.deep.include({ event_type: 'TRANSACTION.SUCCESS', resource_type: 'encrypt-resource', summary: '支付成功' });
      expect(opened[0]!.envelope.resource).to.include({ original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction' });
      expect(opened[2]!.resource).to.deep.equal(transaction);
      expect(opened[2]!.resource).to.include({ mchid: MCHID, out_trade_no: outTradeNo, trade_state: 'SUCCESS', trade_type: 'NATIVE' });
      // Signed afresh each time.
      expect(new Set(handler.deliveries.map((d) => d.headers['wechatpay-nonce'])).size).to.equal(3);
      expect(handler.deliveries.every((d) => d.headers['wechatpay-serial']?.startsWith('PUB_KEY_ID_'))).to.equal(true);
      // Spaced as the schedule says (divided by 100): the waits between sends are at least 150 ms, then 150 ms.
      expect(handler.deliveries[1]!.at - handler.deliveries[0]!.at).to.be.at.least(RETRY_SCHEDULE_MS[0]! / 100 - 20);
      expect(handler.deliveries[2]!.at - handler.deliveries[1]!.at).to.be.at.least(RETRY_SCHEDULE_MS[1]! / 100 - 20);
      await until(() => calls.filter((c) => c.path.includes(handler.url)).length === 3);
      const attempts = calls.filter((c) => c.path.includes(handler.url));
      expect(attempts.map((c) => c.errcode)).to.deep.equal([500, 500, 0]);
    } finally {
      panel.socket.close();
      await sim.close();
      await handler.close();
    }
  });

  it('keeps a pending notification across a restart (lowdb files), and sends it after', async () => {
    let failing = true;
    const handler = await notifyHandler(() => (failing ? 503 : 204));
    const first = await paySimulator({ store: new LowStore(fileLocation(temp.dbFile)), pay: { notifySpeedup: 10 } });
    let id: string;
    try {
      const { wxpay, pem } = await payClient(first.url);
      await paidNativeOrder(first.url, wxpay, handler.url);
      await until(() => handler.deliveries.length === 1);
      id = openNotification(handler.deliveries[0]!, pem).envelope.id;
    } finally {
      await first.close();
    }
    failing = false;
    const seen = handler.deliveries.length;
    const again = await paySimulator({ store: new LowStore(fileLocation(temp.dbFile)), pay: { notifySpeedup: 10 } });
    try {
      await until(() => handler.deliveries.length > seen, 10_000);
      const { pem } = await payClient(again.url);
      expect(openNotification(handler.deliveries.at(-1)!, pem).envelope.id).to.equal(id);
      const count = handler.deliveries.length;
      await new Promise((r) => setTimeout(r, 2 * RETRY_SCHEDULE_MS[0]! / 10));
      expect(handler.deliveries.length).to.equal(count); // acknowledged: no more
    } finally {
      await again.close();
      await handler.close();
    }
  });

  describe('on a Redis two processes share', function () {
    const redis = suiteRedis();

    it('sends each notification once, its retries too', async () => {
      const handler = await notifyHandler((n) => (n <= 2 ? 500 : 200));
      const one = await paySimulator({ store: new RedisStore({ url: redis.server.url, prefix: 'pay-once:' }), pay: { notifySpeedup: 100 } });
      const two = await paySimulator({ store: new RedisStore({ url: redis.server.url, prefix: 'pay-once:' }), pay: { notifySpeedup: 100 } });
      try {
        const { wxpay, pem } = await payClient(one.url);
        expect((await payClient(two.url)).pem).to.equal(pem); // one key pair for both
        for (let i = 0; i < 5; i += 1) await paidNativeOrder(i % 2 ? one.url : two.url, wxpay, handler.url, `payer-${i}`);
        await until(() => handler.deliveries.filter((d) => d.raw).length >= 5 + 2, 10_000);
        await new Promise((r) => setTimeout(r, 3 * RETRY_SCHEDULE_MS[3]! / 100));
        const ids = handler.deliveries.map((d) => openNotification(d, pem).envelope.id);
        // The first two sends failed, whichever notifications they were; every one then acknowledged once.
        expect(ids).to.have.length(7);
        expect(new Set(ids).size).to.equal(5);
      } finally {
        await one.close();
        await two.close();
        await handler.close();
      }
    });
  });
});

describe('WeChat Pay: a notification pending when the process is killed (SIGKILL)', function () {
  this.timeout(60_000);
  const temp = eachTestTempDir();
  const redis = suiteRedis();
  before(() => buildServer());

  /** The built server with WeChat Pay on, as `npm start` runs it. */
  const startPay = async (env: Record<string, string>) => {
    const keyFile = path.join(temp.dir, 'apiclient_pub.pem');
    await writeFile(keyFile, MCH_PUBLIC_PEM);
    return start({ ...env, PAY_MCHID: MCHID, PAY_MCH_SERIAL: MCH_SERIAL, PAY_MCH_PUBLIC_KEY: keyFile, PAY_APIV3_KEY: APIV3_KEY, PAY_NOTIFY_SPEEDUP: '10', TARGET_APPID: APPID });
  };

  for (const [store, env] of [
    ['lowdb', () => ({ DB_FILE: temp.dbFile })],
    ['Redis', () => ({ REDIS_URL: redis.server.url, DB_FILE: temp.dbFile })],
  ] as const) {
    it(`is sent after a restart (${store})`, async () => {
      let failing = true;
      const handler = await notifyHandler(() => (failing ? 500 : 200));
      const killed = await startPay(env());
      let id: string;
      try {
        const { wxpay, pem } = await payClient(killed.url);
        await paidNativeOrder(killed.url, wxpay, handler.url);
        await until(() => handler.deliveries.length === 1, 10_000);
        id = openNotification(handler.deliveries[0]!, pem).envelope.id;
        // Killed right after the failure is logged: often before its lease is let go, so the restart also waits that lease out.
        await until(() => /not acknowledged/.test(killed.output()), 5000);
      } finally {
        killed.child.kill('SIGKILL');
        await killed.exited;
      }
      failing = false;
      const seen = handler.deliveries.length;
      const restarted = await startPay(env());
      try {
        await until(() => handler.deliveries.length > seen, 20_000);
        const { pem } = await payClient(restarted.url);
        expect(openNotification(handler.deliveries.at(-1)!, pem).envelope.id).to.equal(id);
        await until(() => /TRANSACTION.SUCCESS acknowledged/.test(restarted.output()), 5000);
      } finally {
        await stop(restarted);
        await handler.close();
      }
    });
  }
});

describe('WeChat Pay: a handler that does not answer, or redirects', function () {
  this.timeout(30_000);

  it('gives up on an attempt after 5 s and retries it; a redirect is a failure, never followed', async () => {
    const handler = await notifyHandler((n) => (n === 1 ? 'hang' : 204));
    const redirected = await notifyHandler(() => 204);
    let redirects = 0;
    const redirecting = await new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
      const server = createServer((_req, res) => {
        redirects += 1;
        res.writeHead(302, { location: redirected.url }).end();
      });
      server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`, close: () => new Promise((r) => server.close(() => r())) }));
    });
    const sim = await paySimulator({ pay: { notifySpeedup: 100 } });
    try {
      const { wxpay } = await payClient(sim.url);
      await paidNativeOrder(sim.url, wxpay, handler.url);
      await paidNativeOrder(sim.url, wxpay, redirecting.url, 'other');
      await until(() => handler.deliveries.length === 2, 15_000);
      expect(handler.deliveries[1]!.at - handler.deliveries[0]!.at).to.be.at.least(NOTIFY_TIMEOUT_MS);
      await until(() => redirects >= 2); // tried, and tried again: a redirect is not an acknowledgement
      expect(redirected.deliveries).to.have.length(0);
    } finally {
      await sim.close();
      await handler.close();
      await redirected.close();
      await redirecting.close();
    }
  });
});
