// A small shop on an official account, paid with WeChat Pay APIv3, as people write one with node-webot's
// `wechat`, `co-wechat-api` and `wechatpay-axios-plugin`, pointed at the simulator. See docs/testing-payments.md.
//   npm install express wechat co-wechat-api wechatpay-axios-plugin weixin-js-sdk
//   node examples/pay-shop.mjs        (listens on http://localhost:8080; the simulator on http://localhost:3000)
// Write "buy" in the chat: the shop answers a link to its pay page, which places a JSAPI order and calls
// wx.chooseWXPay; the notification handler at /pay/notify verifies and decrypts TRANSACTION.SUCCESS;
// POST /orders/:no/refund refunds an order in full.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import express from 'express';
import wechat from 'wechat';
import API from 'co-wechat-api';
import { Wechatpay, Rsa, Formatter, Aes } from 'wechatpay-axios-plugin';

const require = createRequire(import.meta.url);
const JSSDK = readFileSync(require.resolve('weixin-js-sdk'), 'utf8');

/**
 * The shop: `simulator` is the simulator's base URL (production: https://api.weixin.qq.com and
 * https://api.mch.weixin.qq.com), `platformKey` WeChat Pay's public key { keyId, pem }. `events` gets every
 * notification the shop accepted, decrypted.
 */
export function createShop({ simulator, appId, appSecret, token, mchid, serial, privateKey, apiV3Key, platformKey, shopUrl }) {
  const api = new API(appId, appSecret);
  api.prefix = `${simulator}/cgi-bin/`;
  // The one change from production for WeChat Pay: the base URL is the simulator's.
  const wxpay = new Wechatpay({ mchid, serial, privateKey, certs: { [platformKey.keyId]: platformKey.pem }, baseURL: `${simulator}/` });
  const platformPublicKey = Rsa.from(platformKey.pem, Rsa.KEY_TYPE_PUBLIC);
  const events = [];
  const app = express();

  app.use(
    '/wechat',
    wechat(token, (req, res) => {
      const message = req.weixin;
      if (message.MsgType === 'event') return res.reply(message.Event === 'subscribe' ? 'Welcome to the tea shop. Write "buy" to buy a box of spring tea.' : '');
      if (message.Content === 'buy') return res.reply(`Spring tea, ¥88.00: ${shopUrl()}/buy?openid=${encodeURIComponent(message.FromUserName)}`);
      res.reply('Write "buy" to buy a box of spring tea.');
    }),
  );

  app.get('/jweixin.js', (_req, res) => res.type('text/javascript').send(JSSDK));

  // The pay page: a JSAPI order for the payer, the paySign over its prepay_id, wx.chooseWXPay.
  app.get('/buy', async (req, res, next) => {
    try {
      const outTradeNo = `TEA${Date.now()}${randomBytes(3).toString('hex')}`;
      const { data } = await wxpay.v3.pay.transactions.jsapi.post({
        appid: appId,
        mchid,
        description: 'Spring tea, one box',
        out_trade_no: outTradeNo,
        notify_url: `${shopUrl()}/pay/notify`,
        amount: { total: 8800, currency: 'CNY' },
        payer: { openid: String(req.query.openid) },
      });
      const pay = { timestamp: String(Formatter.timestamp()), nonceStr: Formatter.nonce(), package: `prepay_id=${data.prepay_id}`, signType: 'RSA' };
      pay.paySign = Rsa.sign(Formatter.joinedByLineFeed(appId, pay.timestamp, pay.nonceStr, pay.package), privateKey);
      const config = await api.getJsConfig({ debug: false, jsApiList: ['chooseWXPay'], url: `${req.protocol}://${req.get('host')}${req.originalUrl}` });
      res.type('html').send(`<!doctype html><html><head><meta charset="utf-8"><title>Tea shop</title>
<script>var module = { exports: {} };</script><script src="/jweixin.js"></script><script>window.wx = module.exports;</script></head>
<body><h1>Spring tea</h1><p>¥88.00 · order <code id="order">${outTradeNo}</code></p><p id="result">waiting for WeChat</p>
<script>
var show = function (res) { document.getElementById('result').textContent = res.errMsg; };
wx.config(${JSON.stringify(config)});
wx.ready(function () {
  wx.chooseWXPay(Object.assign(${JSON.stringify(pay)}, { success: show, cancel: show, fail: show }));
});
wx.error(show);
</script></body></html>`);
    } catch (err) {
      next(err);
    }
  });

  // The notification handler: verify WeChat Pay's signature first, then decrypt; 204 acknowledges.
  app.post('/pay/notify', express.text({ type: '*/*' }), (req, res) => {
    const timestamp = req.get('wechatpay-timestamp');
    const signed = Rsa.verify(Formatter.response(timestamp, req.get('wechatpay-nonce'), req.body), req.get('wechatpay-signature'), platformPublicKey);
    if (!signed || Math.abs(Formatter.timestamp() - Number(timestamp)) > 300 || req.get('wechatpay-serial') !== platformKey.keyId) {
      return res.status(401).json({ code: 'FAIL', message: 'signature' });
    }
    const notice = JSON.parse(req.body);
    const { ciphertext, nonce, associated_data } = notice.resource;
    events.push({ eventType: notice.event_type, resource: JSON.parse(Aes.AesGcm.decrypt(ciphertext, apiV3Key, nonce, associated_data)) });
    res.status(204).end();
  });

  app.get('/orders/:no', async (req, res, next) => {
    try {
      res.json((await wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid }, out_trade_no: req.params.no })).data);
    } catch (err) {
      next(err);
    }
  });

  app.post('/orders/:no/refund', async (req, res, next) => {
    try {
      const { data: order } = await wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid }, out_trade_no: req.params.no });
      const { data } = await wxpay.v3.refund.domestic.refunds.post({ out_trade_no: req.params.no, out_refund_no: `R${req.params.no}`, reason: 'refund', amount: { refund: order.amount.total, total: order.amount.total, currency: 'CNY' } });
      res.json(data);
    } catch (err) {
      next(err);
    }
  });

  return { app, events, wxpay };
}

// Run directly: settings from the environment, WeChat Pay's public key from the simulator.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const simulator = process.env.SIMULATOR ?? 'http://localhost:3000';
  const port = Number(process.env.PORT ?? 8080);
  const platformKey = await (await fetch(`${simulator}/api/pay/public-key`)).json();
  const { app } = createShop({
    simulator,
    appId: process.env.APPID ?? 'wx0123456789abcdef',
    appSecret: process.env.APPSECRET ?? 'my-secret',
    token: process.env.WECHAT_TOKEN ?? 'T',
    mchid: process.env.MCHID ?? '1900000109',
    serial: process.env.MCH_SERIAL,
    privateKey: readFileSync(process.env.MCH_PRIVATE_KEY ?? 'apiclient_key.pem'),
    apiV3Key: process.env.APIV3_KEY,
    platformKey,
    shopUrl: () => process.env.SHOP_URL ?? `http://localhost:${port}`,
  });
  app.listen(port, () => console.log(`tea shop on http://localhost:${port} (/wechat for the simulator's --target)`));
}
