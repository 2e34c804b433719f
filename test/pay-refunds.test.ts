// WeChat Pay refunds through real HTTP with wechatpay-axios-plugin: partial and full, several per order up to
// the amount paid, queried, announced by REFUND.SUCCESS; refusals (too much, an unknown order, a reused
// out_refund_no with other values, an unpaid order) change nothing.
import { expect } from 'chai';
import { until } from './helpers.ts';
import { jsapiOrder, MCHID, notifyHandler, openNotification, paidNativeOrder, payClient, paySimulator, refused } from './pay-helpers.ts';

describe('WeChat Pay: refunds', function () {
  this.timeout(30_000);

  it('refunds part, then the rest, each queried and announced; the order is REFUND; more is refused', async () => {
    const handler = await notifyHandler(() => 200);
    const sim = await paySimulator({ pay: { notifySpeedup: 100 } });
    try {
      const { wxpay, pem } = await payClient(sim.url);
      const { outTradeNo, transaction } = await paidNativeOrder(sim.url, wxpay, handler.url);
      const refund = (outRefundNo: string, amount: number, by: object = { out_trade_no: outTradeNo }) =>
        wxpay.v3.refund.domestic.refunds.post({ ...by, out_refund_no: outRefundNo, reason: '不想要了', amount: { refund: amount, total: 100, currency: 'CNY' } });
      const { data: first } = await refund('R-1', 30);
      expect(first).to.deep.include({ out_refund_no: 'R-1', out_trade_no: outTradeNo, transaction_id: transaction.transaction_id, status: 'PROCESSING', channel: 'ORIGINAL' });
      expect(first.amount).to.deep.include({ total: 100, refund: 30, payer_refund: 30, currency: 'CNY' });
      // The same request again is the same refund, not a second one.
      expect((await refund('R-1', 30)).data.refund_id).to.equal(first.refund_id);
      expect((await refused(refund('R-1', 31))).data.code).to.equal('INVALID_REQUEST');
      const tooMuch = await refused(refund('R-2', 71));
      expect(tooMuch).to.deep.include({ status: 400 });
      expect(tooMuch.data.code).to.equal('INVALID_REQUEST');
      const { data: rest } = await refund('R-2', 70, { transaction_id: transaction.transaction_id });
      expect(rest.amount.refund).to.equal(70);
      expect((await refused(refund('R-3', 1))).data.code).to.equal('INVALID_REQUEST');

      const { data: queried } = await wxpay.v3.refund.domestic.refunds._out_refund_no_.get({ out_refund_no: 'R-1' });
      expect(queried).to.deep.include({ refund_id: first.refund_id, status: 'SUCCESS' });
      expect(queried.success_time).to.match(/\+08:00$/);
      expect((await refused(wxpay.v3.refund.domestic.refunds._out_refund_no_.get({ out_refund_no: 'R-3' }))).data.code).to.equal('RESOURCE_NOT_EXISTS');
      expect((await refused(wxpay.v3.refund.domestic.refunds._out_refund_no_.get({ out_refund_no: 'R-3' }))).status).to.equal(404);
      const { data: order } = await wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid: MCHID }, out_trade_no: outTradeNo });
      expect(order).to.include({ trade_state: 'REFUND', trade_state_desc: '转入退款' });

      await until(() => handler.deliveries.length === 3, 10_000); // the payment and the two refunds
      const refunds = handler.deliveries.map((d) => openNotification(d, pem)).filter((n) => n.envelope.event_type === 'REFUND.SUCCESS');
      expect(refunds.map((n) => n.resource.out_refund_no).sort()).to.deep.equal(['R-1', 'R-2']);
      expect(refunds[0]!.envelope.resource).to.include({ original_type: 'refund', associated_data: 'refund' });
      expect(refunds.find((n) => n.resource.out_refund_no === 'R-2')!.resource).to.deep.include({ refund_status: 'SUCCESS', out_trade_no: outTradeNo, amount: { total: 100, refund: 70, payer_total: 100, payer_refund: 70 } });
    } finally {
      await sim.close();
      await handler.close();
    }
  });

  it('refuses a refund of an unknown or unpaid order, and bad amounts, with the platform codes', async () => {
    const sim = await paySimulator();
    try {
      const { wxpay } = await payClient(sim.url);
      const body = (more: object) => ({ out_trade_no: 'NO-SUCH-ORDER', out_refund_no: 'R-9', amount: { refund: 1, total: 100, currency: 'CNY' }, ...more });
      const unknown = await refused(wxpay.v3.refund.domestic.refunds.post(body({})));
      expect(unknown).to.deep.include({ status: 404 });
      expect(unknown.data.code).to.equal('RESOURCE_NOT_EXISTS');
      const order = { ...jsapiOrder('x'), payer: undefined };
      await wxpay.v3.pay.transactions.native.post(JSON.parse(JSON.stringify(order)));
      expect((await refused(wxpay.v3.refund.domestic.refunds.post(body({ out_trade_no: order.out_trade_no })))).data.code).to.equal('INVALID_REQUEST');
      for (const amount of [{ refund: 0, total: 100, currency: 'CNY' }, { refund: 1, total: 100 }, { refund: '1', total: 100, currency: 'CNY' }]) {
        const answer = await refused(wxpay.v3.refund.domestic.refunds.post(body({ out_trade_no: order.out_trade_no, amount })));
        expect(answer.data.code, JSON.stringify(amount)).to.equal('PARAM_ERROR');
      }
      expect((await refused(wxpay.v3.refund.domestic.refunds.post(body({ out_refund_no: 'has space' })))).data.code).to.equal('PARAM_ERROR');
      // Refused: the out_refund_no is still free.
      expect((await refused(wxpay.v3.refund.domestic.refunds._out_refund_no_.get({ out_refund_no: 'R-9' }))).data.code).to.equal('RESOURCE_NOT_EXISTS');
    } finally {
      await sim.close();
    }
  });
});
