// WeChat Pay orders through real HTTP, placed and queried by wechatpay-axios-plugin (which checks the signature
// of every answer): JSAPI and Native, NOTPAY → SUCCESS, CLOSED, expiry, and bad input refused changing nothing.
import { expect } from 'chai';
import { http } from './helpers.ts';
import { accountServer, APPID } from './platform-helpers.ts';
import { follower, jsapiOrder, MCHID, payClient, type PaySimulator, paySimulator, refused, signedRequest } from './pay-helpers.ts';

describe('WeChat Pay: orders', function () {
  this.timeout(30_000);
  let account: Awaited<ReturnType<typeof accountServer>>;
  let sim: PaySimulator;
  let offset = 0;
  beforeEach(async () => {
    offset = 0;
    account = await accountServer((_m, res) => res.reply('ok'));
    sim = await paySimulator({ targetUrl: account.url, now: () => Date.now() + offset });
  });
  afterEach(async () => {
    await sim.close();
    await account.close();
  });

  it('places a JSAPI order, is paid, queried by out-trade-no and id; a Native one is closed, twice', async () => {
    const { wxpay } = await payClient(sim.url);
    const alice = await follower(sim.url, 'alice');
    const order = jsapiOrder(alice.openid, { attach: 'cart 7' });
    const { data: placed } = await wxpay.v3.pay.transactions.jsapi.post(order);
    expect(placed.prepay_id).to.match(/^wx\d{14}[0-9a-f]{22}$/);
    // The same request again: the same prepay_id.
    expect((await wxpay.v3.pay.transactions.jsapi.post(order)).data.prepay_id).to.equal(placed.prepay_id);
    const byNo = () => wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid: MCHID }, out_trade_no: order.out_trade_no });
    expect((await byNo()).data).to.deep.include({ trade_state: 'NOTPAY', trade_state_desc: '未支付', out_trade_no: order.out_trade_no, appid: APPID, trade_type: 'JSAPI' });

    const paid = await http(`${sim.url}/api/pay/payments`, 'POST', { userId: 'alice', prepay_id: placed.prepay_id });
    expect(paid.body.ok).to.equal(true);
    const { data: success } = await byNo();
    expect(success).to.deep.include({ trade_state: 'SUCCESS', trade_state_desc: '支付成功', attach: 'cart 7', bank_type: 'OTHERS', payer: { openid: alice.openid } });
    expect(success.amount).to.deep.equal({ total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' });
    expect(success.transaction_id).to.match(/^4200\d{24}$/);
    expect(success.success_time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    const { data: byId } = await wxpay.v3.pay.transactions.id._transaction_id_.get({ params: { mchid: MCHID }, transaction_id: success.transaction_id });
    expect(byId).to.deep.equal(success);
    // Paid: not again, not closed, not placed again.
    expect((await http(`${sim.url}/api/pay/payments`, 'POST', { userId: 'alice', prepay_id: placed.prepay_id })).body.error.code).to.equal('ORDERPAID');
    expect(await refused(wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.close.post({ mchid: MCHID }, { out_trade_no: order.out_trade_no }))).to.deep.include({ status: 403 });
    expect((await refused(wxpay.v3.pay.transactions.jsapi.post(order))).data.code).to.equal('ORDERPAID');

    const native = { ...jsapiOrder(alice.openid), payer: undefined };
    const { data: code } = await wxpay.v3.pay.transactions.native.post(native);
    expect(code.code_url).to.match(/^weixin:\/\/wxpay\/bizpayurl\?pr=[\w-]+$/);
    const close = () => wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.close.post({ mchid: MCHID }, { out_trade_no: native.out_trade_no });
    expect((await close()).status).to.equal(204);
    expect((await close()).status).to.equal(204);
    expect((await wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid: MCHID }, out_trade_no: native.out_trade_no })).data).to.deep.include({ trade_state: 'CLOSED', trade_type: 'NATIVE' });
    const scan = await http(`${sim.url}/api/pay/payments`, 'POST', { userId: 'alice', code_url: code.code_url });
    expect(scan.body).to.deep.include({ ok: false });
    expect(scan.body.error.code).to.equal('ORDER_CLOSED');
    expect((await refused(wxpay.v3.pay.transactions.native.post(native))).data.code).to.equal('ORDER_CLOSED');
  });

  it('refuses bad orders with the platform code and status, storing nothing', async () => {
    const { wxpay } = await payClient(sim.url);
    const bob = await follower(sim.url, 'bob');
    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      ['an amount of 0', { amount: { total: 0, currency: 'CNY' } }, 400, 'PARAM_ERROR'],
      ['an amount in yuan', { amount: { total: 1.5 } }, 400, 'PARAM_ERROR'],
      ['another currency', { amount: { total: 1, currency: 'USD' } }, 400, 'PARAM_ERROR'],
      ['a short out_trade_no', { out_trade_no: 'abc' }, 400, 'PARAM_ERROR'],
      ['a space in out_trade_no', { out_trade_no: 'order 12345' }, 400, 'PARAM_ERROR'],
      ['a description of 128 characters', { description: '货'.repeat(128) }, 400, 'PARAM_ERROR'],
      ['no payer', { payer: undefined }, 400, 'PARAM_ERROR'],
      ['a payer who is no user of the account', { payer: { openid: 'o-nobody' } }, 400, 'PARAM_ERROR'],
      ['a notify_url with a query', { notify_url: 'https://shop.example/notify?x=1' }, 400, 'PARAM_ERROR'],
      ['a relative notify_url', { notify_url: '/notify' }, 400, 'PARAM_ERROR'],
      ['a bad time_expire', { time_expire: 'tomorrow' }, 400, 'PARAM_ERROR'],
      ['another appid', { appid: 'wx9999999999999999' }, 400, 'APPID_MCHID_NOT_MATCH'],
      ['another mchid in the body', { mchid: '1900000999' }, 400, 'MCH_NOT_EXISTS'],
    ];
    for (const [what, change, status, code] of cases) {
      const order = jsapiOrder(bob.openid, change);
      const answer = await refused(wxpay.v3.pay.transactions.jsapi.post(JSON.parse(JSON.stringify(order))));
      expect(answer.status, what).to.equal(status);
      expect(answer.data.code, what).to.equal(code);
      if (typeof order.out_trade_no === 'string' && /^[\w|*-]{6,32}$/.test(order.out_trade_no)) {
        const query = await signedRequest(sim.url, 'GET', `/v3/pay/transactions/out-trade-no/${order.out_trade_no}?mchid=${MCHID}`);
        expect(query.status, what).to.equal(404);
        expect(query.body.code).to.equal('ORDER_NOT_EXIST');
      }
    }
    const first = jsapiOrder(bob.openid);
    await wxpay.v3.pay.transactions.jsapi.post(first);
    const reused = await refused(wxpay.v3.pay.transactions.jsapi.post({ ...first, amount: { total: 101, currency: 'CNY' } }));
    expect(reused).to.deep.include({ status: 403 });
    expect(reused.data.code).to.equal('OUT_TRADE_NO_USED');
    const { data } = await wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid: MCHID }, out_trade_no: first.out_trade_no });
    expect(data.amount.total).to.equal(100);
    expect((await refused(wxpay.v3.pay.transactions.id._transaction_id_.get({ params: { mchid: MCHID }, transaction_id: '4200000000000000000000000000' }))).data.code).to.equal('ORDER_NOT_EXIST');
    expect((await refused(wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid: '1900000999' }, out_trade_no: first.out_trade_no }))).data.code).to.equal('MCH_NOT_EXISTS');
  });

  it('cannot be paid after time_expire, nor after the prepay_id\'s 2 hours', async () => {
    const { wxpay } = await payClient(sim.url);
    const carol = await follower(sim.url, 'carol');
    const soon = new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, '+00:00');
    const { data: short } = await wxpay.v3.pay.transactions.jsapi.post(jsapiOrder(carol.openid, { time_expire: soon }));
    const { data: long } = await wxpay.v3.pay.transactions.jsapi.post(jsapiOrder(carol.openid));
    offset = 2 * 60_000;
    expect((await http(`${sim.url}/api/pay/payments`, 'POST', { userId: 'carol', prepay_id: short.prepay_id })).body.error.code).to.equal('ORDER_EXPIRED');
    expect((await http(`${sim.url}/api/pay/payments`, 'POST', { userId: 'carol', prepay_id: long.prepay_id })).body.ok).to.equal(true);
    const { data: later } = await wxpay.v3.pay.transactions.jsapi.post(jsapiOrder(carol.openid));
    offset += 2 * 3600_000 + 1000;
    expect((await http(`${sim.url}/api/pay/payments`, 'POST', { userId: 'carol', prepay_id: later.prepay_id })).body.error.code).to.equal('PREPAY_EXPIRED');
    // Someone else's order is not theirs to pay.
    offset = 0;
    const { data: hers } = await wxpay.v3.pay.transactions.jsapi.post(jsapiOrder(carol.openid));
    expect((await http(`${sim.url}/api/pay/payments`, 'POST', { userId: 'dave', prepay_id: hers.prepay_id })).body.error.code).to.equal('NO_AUTH');
    expect((await http(`${sim.url}/api/pay/payments`, 'POST', { userId: 'carol', prepay_id: 'wx-no-such' })).body.error.code).to.equal('ORDER_NOT_EXIST');
  });

  it('fails the next payment with NOTENOUGH when the developer panel says so, and only that one', async () => {
    const { wxpay } = await payClient(sim.url);
    const erin = await follower(sim.url, 'erin');
    const { data } = await wxpay.v3.pay.transactions.jsapi.post(jsapiOrder(erin.openid));
    expect((await http(`${sim.url}/api/pay/fail-next`, 'PUT', { on: true })).body).to.deep.equal({ on: true });
    expect((await http(`${sim.url}/api/pay/fail-next`, 'PUT', { on: 'yes' })).status).to.equal(400);
    expect((await http(`${sim.url}/api/pay/payments`, 'POST', { userId: 'erin', prepay_id: data.prepay_id })).body.error.code).to.equal('NOTENOUGH');
    expect((await http(`${sim.url}/api/pay/status`, 'GET')).body).to.deep.equal({ enabled: true, failNext: false });
    expect((await http(`${sim.url}/api/pay/payments`, 'POST', { userId: 'erin', prepay_id: data.prepay_id })).body.ok).to.equal(true);
  });
});
