// The pay sheet without a browser, as a bot's CI drives it through the SDK: a page's request opened (paySign
// checked with the merchant's key), Pay and Cancel, the receipt in the payer's chat, the NOTENOUGH switch, a
// Native code_url scanned, and an order paid with no sheet at all.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { cancelPayment, confirmPayment, payOrder, paySheet, PaymentRefused } from '../client/sdk/bot-client.ts';
import { http, rejection, until } from './helpers.ts';
import { accountServer, APPID } from './platform-helpers.ts';
import { follower, jsapiOrder, MCHID, merchantSign, payClient, paySimulator, type PaySimulator } from './pay-helpers.ts';
import { RECEIPT_TEMPLATE_ID } from '../server/pay/receipt.ts';

/** What a merchant's server hands its page for getBrandWCPayRequest: the fields and their paySign. */
export function payRequest(prepayId: string, appId = APPID) {
  const timeStamp = String(Math.floor(Date.now() / 1000));
  const nonceStr = randomBytes(8).toString('hex');
  const pkg = `prepay_id=${prepayId}`;
  return { appId, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign: merchantSign(appId, timeStamp, nonceStr, pkg) };
}

describe('WeChat Pay: the pay sheet through the SDK', function () {
  this.timeout(30_000);
  let account: Awaited<ReturnType<typeof accountServer>>;
  let sim: PaySimulator;
  beforeEach(async () => {
    account = await accountServer((_m, res) => res.reply('ok'));
    sim = await paySimulator({ targetUrl: account.url });
  });
  afterEach(async () => {
    await sim.close();
    await account.close();
  });

  it('opens the sheet for a request the merchant signed, pays on Pay, and shows the receipt in the chat', async () => {
    const { wxpay } = await payClient(sim.url);
    const alice = await follower(sim.url, 'alice');
    const order = jsapiOrder(alice.openid, { description: 'Spring tea, 2 boxes', amount: { total: 8800, currency: 'CNY' } });
    const { data } = await wxpay.v3.pay.transactions.jsapi.post(order);
    const opened = await http(`${sim.url}/api/pay/sheets`, 'POST', { userId: 'alice', ...payRequest(data.prepay_id) });
    expect(opened.body.ok).to.equal(true);
    expect(opened.body.sheet).to.deep.include({ merchant: 'WeChat Business Watch', description: 'Spring tea, 2 boxes', total: 8800 });
    expect(await paySheet({ url: sim.url, userId: 'alice' })).to.deep.include({ outTradeNo: order.out_trade_no });
    const paid = await confirmPayment({ url: sim.url, userId: 'alice' });
    expect(paid.outcome).to.deep.include({ result: 'ok' });
    expect(paid.outcome!.transactionId).to.match(/^4200\d{24}$/);
    const { data: queried } = await wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid: MCHID }, out_trade_no: order.out_trade_no });
    expect(queried.trade_state).to.equal('SUCCESS');
    await until(() => alice.received.some((m) => m.type === 'template' && m.templateId === RECEIPT_TEMPLATE_ID));
    const receipt = alice.received.find((m) => m.type === 'template')!;
    expect(receipt).to.deep.include({ title: '微信支付 · 支付成功' });
    expect((receipt as { data: Record<string, { value: string }> }).data.amount!.value).to.equal('¥88.00');
    // Answered: no sheet to answer again.
    expect((await rejection(confirmPayment({ url: sim.url, userId: 'alice' }))).code).to.equal('NO_PAY_SHEET');
    alice.socket.close();
  });

  it('fails a request whose paySign, signType or appId is wrong, as WeChat does, opening no sheet', async () => {
    const { wxpay } = await payClient(sim.url);
    const bob = await follower(sim.url, 'bob');
    const { data } = await wxpay.v3.pay.transactions.jsapi.post(jsapiOrder(bob.openid));
    const good = payRequest(data.prepay_id);
    const cases: Array<[string, object, string]> = [
      ['a paySign over other values', { ...good, nonceStr: 'other' }, 'SIGN_ERROR'],
      ['signType SHA1 (jweixin\'s default)', { ...good, signType: 'SHA1' }, 'SIGN_ERROR'],
      ['another appId', payRequest(data.prepay_id, 'wx9999999999999999'), 'APPID_MCHID_NOT_MATCH'],
      ['no such prepay_id', payRequest('wx-nothing'), 'ORDER_NOT_EXIST'],
    ];
    for (const [what, request, code] of cases) {
      const answer = await http(`${sim.url}/api/pay/sheets`, 'POST', { userId: 'bob', ...request });
      expect(answer.body.ok, what).to.equal(false);
      expect(answer.body.error.code, what).to.equal(code);
    }
    expect(await paySheet({ url: sim.url, userId: 'bob' })).to.equal(undefined);
    // Another user cannot pay bob's order.
    expect((await http(`${sim.url}/api/pay/sheets`, 'POST', { userId: 'carol', ...good })).body.error.code).to.equal('NO_AUTH');
    bob.socket.close();
  });

  it('cancels (the order stays NOTPAY), fails with NOTENOUGH when switched on, scans a code_url, pays without a sheet', async () => {
    const { wxpay } = await payClient(sim.url);
    const dave = await follower(sim.url, 'dave');
    const { data } = await wxpay.v3.pay.transactions.jsapi.post(jsapiOrder(dave.openid));
    await http(`${sim.url}/api/pay/sheets`, 'POST', { userId: 'dave', ...payRequest(data.prepay_id) });
    expect((await cancelPayment({ url: sim.url, userId: 'dave' })).outcome).to.deep.equal({ result: 'cancel' });
    await http(`${sim.url}/api/pay/fail-next`, 'PUT', { on: true });
    await http(`${sim.url}/api/pay/sheets`, 'POST', { userId: 'dave', ...payRequest(data.prepay_id) });
    expect((await confirmPayment({ url: sim.url, userId: 'dave' })).outcome).to.deep.include({ result: 'fail', code: 'NOTENOUGH' });

    const native = { ...jsapiOrder('x'), payer: undefined };
    const { data: code } = await wxpay.v3.pay.transactions.native.post(JSON.parse(JSON.stringify(native)));
    expect((await http(`${sim.url}/api/pay/sheets`, 'POST', { userId: 'dave', code_url: code.code_url })).body.sheet.total).to.equal(100);
    expect((await confirmPayment({ url: sim.url, userId: 'dave' })).outcome!.result).to.equal('ok');

    const { transaction } = await payOrder({ url: sim.url, userId: 'dave', prepayId: data.prepay_id });
    expect(transaction).to.deep.include({ trade_state: 'SUCCESS', payer: { openid: dave.openid } });
    const refused = await rejection(payOrder({ url: sim.url, userId: 'dave', prepayId: data.prepay_id }));
    expect(refused).to.be.instanceOf(PaymentRefused);
    expect(refused.code).to.equal('ORDERPAID');
    dave.socket.close();
  });
});
