// Refunds of a paid order, full or partial, several up to the amount paid: each kept with its order (so the sum
// is checked under the order's lock), found by out_refund_no through a claimed pointer (kind `pay-index`) that
// makes an out_refund_no the merchant's once. A refund succeeds at once; its answer says PROCESSING, as the
// platform's first answer does, and queries and REFUND.SUCCESS say SUCCESS.
import { createHash, randomInt } from 'node:crypto';
import type { ChatStore, Records } from '../store/chat-store.ts';
import { notifyUrl } from './order-request.ts';
import type { Order, Orders, Refund } from './orders.ts';
import { paramError, PayError } from './pay-errors.ts';
import { rfc3339 } from './platform-keys.ts';

const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const MAX_REFUNDS = 50;

export type RefundRequest = { outTradeNo?: string; transactionId?: string; refund: Omit<Refund, 'refund_id' | 'create_time' | 'success_time'>; total: number };

function parseRefund(body: unknown): RefundRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw paramError('body', '应为对象 (must be an object)');
  const fields = body as Record<string, unknown>;
  const { transaction_id: transactionId, out_trade_no: outTradeNo, out_refund_no: outRefundNo, reason, amount } = fields;
  if (typeof transactionId !== 'string' && typeof outTradeNo !== 'string') throw paramError('out_trade_no', 'transaction_id和out_trade_no必须二选一 (name the order)');
  if (typeof outRefundNo !== 'string' || !OUT_REFUND_NO.test(outRefundNo)) throw paramError('out_refund_no', '1到64位数字、大小写字母_-|*@ (1 to 64 of digits, letters and _-|*@)');
  if (reason !== undefined && (typeof reason !== 'string' || [...reason].length > 80)) throw paramError('reason', '至多80个字符 (at most 80 characters)');
  const url = notifyUrl(fields, 'notify_url', true);
  if (typeof amount !== 'object' || amount === null) throw paramError('amount', '缺少参数 (required)');
  const { refund, total, currency } = amount as Record<string, unknown>;
  if (typeof refund !== 'number' || !Number.isInteger(refund) || refund <= 0) throw paramError('amount.refund', '应为正整数，单位分 (a whole number of fen, at least 1)');
  if (typeof total !== 'number' || !Number.isInteger(total) || total <= 0) throw paramError('amount.total', '应为正整数，单位分 (the order\'s total in fen)');
  if (currency !== 'CNY') throw paramError('amount.currency', '仅支持CNY (only CNY)');
  const given = { out_refund_no: outRefundNo, ...(reason === undefined ? {} : { reason: reason as string }), ...(url ? { notify_url: url } : {}), refund };
  const fingerprint = createHash('sha256').update(JSON.stringify({ transactionId, outTradeNo, given, total })).digest('hex');
  return {
    ...(typeof outTradeNo === 'string' ? { outTradeNo } : {}),
    ...(typeof transactionId === 'string' ? { transactionId } : {}),
    refund: { ...given, fingerprint },
    total,
  };
}

/** A refund as answers show it; `asCreated`: the first answer's PROCESSING. */
export function refundOf(order: Order, refund: Refund, asCreated = false): Record<string, unknown> {
  const total = order.request.amount.total;
  return {
    refund_id: refund.refund_id,
    out_refund_no: refund.out_refund_no,
    transaction_id: order.transactionId,
    out_trade_no: order.request.out_trade_no,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    create_time: refund.create_time,
    ...(asCreated ? { status: 'PROCESSING' } : { success_time: refund.success_time, status: 'SUCCESS' }),
    funds_account: 'AVAILABLE',
    amount: { total, refund: refund.refund, payer_total: total, payer_refund: refund.refund, settlement_total: total, settlement_refund: refund.refund, discount_refund: 0, currency: 'CNY', from: [] },
    promotion_detail: [],
  };
}

/** What REFUND.SUCCESS carries. */
export function refundNotice(order: Order, refund: Refund): Record<string, unknown> {
  const total = order.request.amount.total;
  return {
    mchid: order.request.mchid,
    transaction_id: order.transactionId,
    out_trade_no: order.request.out_trade_no,
    refund_id: refund.refund_id,
    out_refund_no: refund.out_refund_no,
    refund_status: 'SUCCESS',
    success_time: refund.success_time,
    user_received_account: '支付用户零钱',
    amount: { total, refund: refund.refund, payer_total: total, payer_refund: refund.refund },
  };
}

export class Refunds {
  private readonly index: Records<string>;

  constructor(
    store: ChatStore,
    private readonly orders: Orders,
    private readonly mchId: string,
    private readonly now: () => number,
  ) {
    this.index = store.records<string>('pay-index');
  }

  /** POST /v3/refund/domestic/refunds; `before` runs with the order and its new refund before they are stored. */
  async create(body: unknown, before: (order: Order, refund: Refund) => Promise<void>): Promise<{ order: Order; refund: Refund; created: boolean }> {
    const request = parseRefund(body);
    const found = request.transactionId !== undefined ? await this.orders.byTransactionId(request.transactionId, this.mchId).catch(() => undefined) : await this.orders.byOutTradeNo(request.outTradeNo!, this.mchId).catch(() => undefined);
    if (!found) throw new PayError(404, 'RESOURCE_NOT_EXISTS', '订单不存在 (no paid order by that transaction_id or out_trade_no)');
    const outTradeNo = found.request.out_trade_no;
    const key = `refund:${request.refund.out_refund_no}`;
    const claimed = await this.index.claim(key, outTradeNo);
    if (!claimed && (await this.index.get(key)) !== outTradeNo) throw new PayError(400, 'INVALID_REQUEST', 'out_refund_no已用于另一笔订单 (this out_refund_no refunded another order)');
    let made: Refund | undefined;
    try {
      const order = await this.orders.change(
        outTradeNo,
        (current) => {
          const earlier = current.refunds.find((r) => r.out_refund_no === request.refund.out_refund_no);
          if (earlier) {
            if (earlier.fingerprint !== request.refund.fingerprint) throw new PayError(400, 'INVALID_REQUEST', 'out_refund_no已使用，且参数不一致 (this out_refund_no was used with other values)');
            return undefined;
          }
          if (current.state !== 'SUCCESS' && current.state !== 'REFUND') throw new PayError(400, 'INVALID_REQUEST', '订单未支付，不能退款 (the order is not paid)');
          if (request.total !== current.request.amount.total) throw new PayError(400, 'INVALID_REQUEST', `amount.total与订单金额不一致 (the order's total is ${current.request.amount.total})`);
          const refunded = current.refunds.reduce((sum, r) => sum + r.refund, 0);
          if (refunded + request.refund.refund > current.request.amount.total) {
            throw new PayError(400, 'INVALID_REQUEST', `申请退款金额超过订单可退金额 (${current.request.amount.total - refunded} fen left to refund)`);
          }
          if (current.refunds.length >= MAX_REFUNDS) throw new PayError(403, 'FREQUENCY_LIMITED', `一笔订单至多退款${MAX_REFUNDS}次`);
          const at = rfc3339(new Date(this.now()));
          made = { ...request.refund, refund_id: `50${Array.from({ length: 27 }, () => randomInt(10)).join('')}`, create_time: at, success_time: at };
          return { ...current, state: 'REFUND', refunds: [...current.refunds, made] };
        },
        async (next) => before(next, made!),
      );
      const refund = made ?? order.refunds.find((r) => r.out_refund_no === request.refund.out_refund_no)!;
      return { order, refund, created: made !== undefined };
    } catch (err) {
      if (claimed) await this.index.delete(key);
      throw err;
    }
  }

  /** GET /v3/refund/domestic/refunds/{out_refund_no} */
  async byOutRefundNo(outRefundNo: string): Promise<{ order: Order; refund: Refund }> {
    const outTradeNo = OUT_REFUND_NO.test(outRefundNo) ? await this.index.get(`refund:${outRefundNo}`) : undefined;
    const order = outTradeNo === undefined ? undefined : await this.orders.byOutTradeNo(outTradeNo, this.mchId).catch(() => undefined);
    const refund = order?.refunds.find((r) => r.out_refund_no === outRefundNo);
    if (!order || !refund) throw new PayError(404, 'RESOURCE_NOT_EXISTS', '退款单不存在 (no refund has that out_refund_no)');
    return { order, refund };
  }
}
