// wechatpay-node-v3 (certificate mode, code no one here wrote) against the simulator started with
// PAY_SIGN_WITH=certificate: its requests redirected as its users redirect them (an IPayRequest of their own
// through createHttp), a Native order placed, and the notification verified with verifySign against the platform
// certificate it downloads from /v3/certificates, then decrypted with decipher_gcm. In public-key mode it cannot
// find the serial, as it cannot against WeChat Pay itself.
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { http, until } from './helpers.ts';
import { APPID } from './platform-helpers.ts';
import { APIV3_KEY, MCH_PRIVATE_PEM, MCH_PUBLIC_PEM, MCH_SERIAL, MCHID, notifyHandler, paySimulator } from './pay-helpers.ts';

const require = createRequire(import.meta.url);
const WxPay = require('wechatpay-node-v3');

/** wechatpay-node-v3 with its hard-coded base URL sent to the simulator instead. */
function nodeV3(simulator: string) {
  const pay = new WxPay({ appid: APPID, mchid: MCHID, serial_no: MCH_SERIAL, publicKey: Buffer.from(MCH_PUBLIC_PEM), privateKey: Buffer.from(MCH_PRIVATE_PEM), key: APIV3_KEY });
  const to = (url: string) => url.replace('https://api.mch.weixin.qq.com', simulator);
  const answer = async (res: Response) => ({ status: res.status, data: await res.json().catch(() => undefined) });
  pay.createHttp({
    get: async (url: string, headers: Record<string, string>) => answer(await fetch(to(url), { headers })),
    post: async (url: string, params: unknown, headers: Record<string, string>) => answer(await fetch(to(url), { method: 'POST', headers, body: JSON.stringify(params) })),
  });
  return pay;
}

describe('WeChat Pay: wechatpay-node-v3 in certificate mode', function () {
  this.timeout(30_000);
  afterEach(() => {
    WxPay.certificates = {}; // the library keeps downloaded certificates for the whole process
  });

  for (const signWith of ['certificate', 'public-key'] as const) {
    it(`verifies a notification with verifySign against /v3/certificates (PAY_SIGN_WITH=${signWith})`, async () => {
      const handler = await notifyHandler(() => 204);
      const sim = await paySimulator({ pay: { signWith, notifySpeedup: 100 } });
      try {
        const pay = nodeV3(sim.url);
        const placed = await pay.transactions_native({ description: 'Tea', out_trade_no: `NV3${Date.now()}`, notify_url: handler.url, amount: { total: 1 } });
        expect(placed.status).to.equal(200);
        expect(placed.data.code_url).to.match(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
        expect((await http(`${sim.url}/api/pay/payments`, 'POST', { userId: 'scanner', code_url: placed.data.code_url })).body.ok).to.equal(true);
        await until(() => handler.deliveries.length === 1);
        const { headers, raw } = handler.deliveries[0]!;
        const check = pay.verifySign({ timestamp: headers['wechatpay-timestamp'], nonce: headers['wechatpay-nonce'], body: raw, serial: headers['wechatpay-serial'], signature: headers['wechatpay-signature'], apiSecret: APIV3_KEY });
        if (signWith === 'public-key') {
          // PUB_KEY_ID_… names no certificate: the library has no public-key mode.
          const err = await check.then(() => undefined, (e: Error) => e);
          expect(err?.message).to.equal('平台证书序列号不相符，未找到平台序列号');
          return;
        }
        expect(await check).to.equal(true);
        const { resource } = JSON.parse(raw);
        const decrypted = pay.decipher_gcm(resource.ciphertext, resource.associated_data, resource.nonce, APIV3_KEY);
        expect(decrypted).to.include({ trade_state: 'SUCCESS', mchid: MCHID, trade_type: 'NATIVE' });
        // A tampered body does not verify.
        const tampered = await pay.verifySign({ timestamp: headers['wechatpay-timestamp'], nonce: headers['wechatpay-nonce'], body: raw.replace('TRANSACTION', 'TRANSACTIOM'), serial: headers['wechatpay-serial'], signature: headers['wechatpay-signature'], apiSecret: APIV3_KEY });
        expect(tampered).to.equal(false);
      } finally {
        await sim.close();
        await handler.close();
      }
    });
  }
});
