// WeChat Pay in Chromium, against code no one here wrote: the example shop (node-webot `wechat`, co-wechat-api,
// wechatpay-axios-plugin) serves a page with the official weixin-js-sdk unchanged, which calls wx.chooseWXPay
// with the paySign its server computed; the person taps Pay on the sheet; the shop's handler gets
// TRANSACTION.SUCCESS and a query says SUCCESS; the receipt is in the chat. Cancel and a tampered paySign too.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import type { App } from '../server/app/app.ts';
import { openApp } from '../server/app/start.ts';
import { clientDir } from '../server/config.ts';
import { silentLogger } from '../server/logger.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { remoteResponder } from '../server/wechat/remote-bot.ts';
import { guideScreenshot, launchBrowser } from './browser.ts';
import { http, targetContent, until } from './helpers.ts';
import { APPID, SECRET } from './platform-helpers.ts';
import { APIV3_KEY, MCH_PRIVATE_PEM, MCH_SERIAL, MCHID, paySettings } from './pay-helpers.ts';
// @ts-expect-error: the example is plain JavaScript
import { createShop } from '../examples/pay-shop.mjs';
import { SharedBrowser } from '../client/flows/chromium.ts';
import { parseConvo } from '../client/flows/parse.ts';
import { describeFailure } from '../client/flows/reporters.ts';
import { runFlows } from '../client/flows/runner.ts';

describe('WeChat Pay in Chromium: the example shop’s page with weixin-js-sdk', function () {
  this.timeout(90_000);
  let browser: Browser | undefined;
  let shopServer: Server;
  let shopPort = 0;
  let app: App;
  let simUrl = '';
  let shop: { events: Array<{ eventType: string; resource: any }>; wxpay: any; app: any; tamper?: boolean };

  before(async function () {
    browser = await launchBrowser(this);
  });
  after(() => browser?.close());

  beforeEach(async () => {
    // The shop needs WeChat Pay's public key before it serves, and the simulator the shop's address: the port first.
    shopServer = createServer();
    await new Promise<void>((resolve) => shopServer.listen(0, resolve));
    shopPort = (shopServer.address() as AddressInfo).port;
    const target = { url: `http://localhost:${shopPort}/wechat`, token: 'tea' };
    // The shop's account (--name) and its merchant's name on the sheet (PAY_MERCHANT_NAME), as a real shop has both.
    app = await openApp({ store: memoryStore(), content: targetContent('Tea shop'), logger: silentLogger, clientDir, responder: remoteResponder(target), platform: { appId: APPID, secret: SECRET, target }, pay: paySettings({ notifySpeedup: 100, merchantName: 'Spring Tea Co.' }) });
    simUrl = await app.listen(0, '127.0.0.1');
    const platformKey = (await http(`${simUrl}/api/pay/public-key`, 'GET')).body;
    shop = createShop({ simulator: simUrl, appId: APPID, appSecret: SECRET, token: 'tea', mchid: MCHID, serial: MCH_SERIAL, privateKey: MCH_PRIVATE_PEM, apiV3Key: APIV3_KEY, platformKey, shopUrl: () => `http://localhost:${shopPort}` });
    shopServer.on('request', shop.app);
  });
  afterEach(async () => {
    await app.close();
    shopServer.closeAllConnections();
    await new Promise<void>((resolve) => shopServer.close(() => resolve()));
  });

  async function openShopPage(): Promise<{ page: Page; outTradeNo: string }> {
    const context = await browser!.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${simUrl}/?user=tea-lover`);
    await page.getByText('Welcome to the tea shop').waitFor();
    // The account has no menu, so the keyboard may be up already.
    const keyboard = page.getByRole('button', { name: 'Show keyboard' });
    if (await keyboard.isVisible()) await keyboard.click();
    await page.locator('#input').fill('buy');
    await page.locator('#send').click();
    await page.locator('.message a', { hasText: '/buy?openid=' }).click();
    const frame = page.frameLocator('#browser-frame');
    const outTradeNo = (await frame.locator('#order').textContent())!;
    return { page, outTradeNo };
  }

  it('pays on Pay: chooseWXPay:ok, TRANSACTION.SUCCESS at the shop, SUCCESS in a query, the receipt in the chat', async () => {
    const { page, outTradeNo } = await openShopPage();
    const sheet = page.getByRole('dialog', { name: 'WeChat Pay' });
    await sheet.getByText('¥88.00').waitFor();
    await sheet.getByText('Spring tea, one box').waitFor();
    // The merchant PAY_MERCHANT_NAME names, not the account.
    expect(await sheet.locator('.pay-merchant').textContent()).to.equal('Spring Tea Co.');
    await guideScreenshot(page, 'pay-sheet.png');
    await sheet.getByRole('button', { name: 'Pay' }).click();
    await page.frameLocator('#browser-frame').locator('#result', { hasText: 'chooseWXPay:ok' }).waitFor();
    await until(() => shop.events.length === 1, 10_000);
    expect(shop.events[0]).to.deep.include({ eventType: 'TRANSACTION.SUCCESS' });
    expect(shop.events[0]!.resource).to.include({ out_trade_no: outTradeNo, trade_state: 'SUCCESS', trade_type: 'JSAPI' });
    const { data } = await shop.wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid: MCHID }, out_trade_no: outTradeNo });
    expect(data.trade_state).to.equal('SUCCESS');
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByText('微信支付 · 支付成功').waitFor();
    await page.locator('.message', { hasText: '商户名称' }).getByText('Spring Tea Co.', { exact: true }).waitFor();
    await guideScreenshot(page, 'pay-receipt.png');
    // The shop refunds it: REFUND.SUCCESS follows.
    const refund = await http(`http://localhost:${shopPort}/orders/${outTradeNo}/refund`, 'POST');
    expect(refund.body.status).to.equal('PROCESSING');
    await until(() => shop.events.length === 2, 10_000);
    expect(shop.events[1]!.eventType).to.equal('REFUND.SUCCESS');
    await page.context().close();
  });

  it('answers chooseWXPay:cancel on Cancel (the order stays NOTPAY), and chooseWXPay:fail with 余额不足 when switched on', async () => {
    const { page, outTradeNo } = await openShopPage();
    const sheet = page.getByRole('dialog', { name: 'WeChat Pay' });
    await sheet.getByRole('button', { name: 'Cancel' }).click();
    await page.frameLocator('#browser-frame').locator('#result', { hasText: 'chooseWXPay:cancel' }).waitFor();
    const { data } = await shop.wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid: MCHID }, out_trade_no: outTradeNo });
    expect(data.trade_state).to.equal('NOTPAY');

    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Developer panel' }).click();
    const switched = page.waitForResponse((res) => res.url().endsWith('/api/pay/fail-next') && res.request().method() === 'PUT');
    await page.locator('#dev-pay-fail-next').check();
    await switched;
    await page.getByRole('button', { name: 'Developer panel' }).click();
    await page.locator('.message a', { hasText: '/buy?openid=' }).last().click();
    await sheet.getByRole('button', { name: 'Pay' }).click();
    await sheet.getByText('余额不足').waitFor();
    await sheet.getByRole('button', { name: 'OK' }).click();
    await page.frameLocator('#browser-frame').locator('#result', { hasText: 'chooseWXPay:fail' }).waitFor();
    expect(shop.events).to.have.length(0);
    await page.context().close();
  });

  it('plays a flow that pays (PAY) and one that cancels (CANCEL) at the sheet its page opened', async () => {
    const flows = new SharedBrowser();
    try {
      const convo = (name: string, answer: string, heard: string) => parseConvo(`${name}
#me
buy
#bot
*/buy?openid=*
#me
OPEN
#bot
*waiting for WeChat*
#me
${answer}
#bot
*${heard}*
#me
CLOSE
`, `${name}.convo.txt`);
      const results = await runFlows([convo('Pays', 'PAY', 'chooseWXPay:ok'), convo('Cancels', 'CANCEL', 'chooseWXPay:cancel')], { url: simUrl, timeoutMs: 20_000, browser: flows });
      for (const result of results) if (!result.passed) expect.fail(describeFailure(result));
      await until(() => shop.events.length === 1, 10_000);
      expect(shop.events[0]!.eventType).to.equal('TRANSACTION.SUCCESS');
      expect(parseConvo('No page\n#me\nPAY\n', 'x.convo.txt').steps[0]).to.deep.include({ kind: 'pay-sheet', answer: 'pay' });
    } finally {
      await flows.close();
    }
  });
});
