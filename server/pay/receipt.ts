// WeChat Pay's receipt in the payer's chat: a card as the 微信支付 account sends it (amount, goods = the
// order's description, merchant, time, transaction number). WeChat's exact layout is unconfirmed; this keeps
// what every description of it shows.
import type { Outbound } from '../contract.ts';
import type { Order } from './orders.ts';

export const RECEIPT_TEMPLATE_ID = 'wechat-pay-receipt';

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

/** The receipt card for a paid order. */
export function receiptMessage(order: Order, merchant: string): Outbound {
  return {
    type: 'template',
    templateId: RECEIPT_TEMPLATE_ID,
    title: '微信支付 · 支付成功',
    content: '支付金额：{{amount.DATA}}\n商品：{{goods.DATA}}\n商户名称：{{merchant.DATA}}\n支付时间：{{time.DATA}}\n交易单号：{{transaction.DATA}}',
    data: {
      amount: { value: yuan(order.request.amount.total) },
      goods: { value: order.request.description },
      merchant: { value: merchant },
      time: { value: (order.successTime ?? '').replace('T', ' ').replace(/\+08:00$/, '') },
      transaction: { value: order.transactionId ?? '' },
    },
  };
}
