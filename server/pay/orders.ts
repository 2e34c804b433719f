// Orders as WeChat Pay keeps them: placed (JSAPI: a prepay_id; Native: a code_url, each valid 2 hours), paid,
// refunded, closed; one record of kind `pay-orders` per out_trade_no, and pointers to it (kind `pay-index`) by
// transaction_id, prepay_id and code_url. Every change is made holding the order's lock (record-lock.ts).
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Followers } from '../platform/users.ts';
import type { ChatStore, Records } from '../store/chat-store.ts';
import { parseOrderRequest, type OrderRequest, type TradeType } from './order-request.ts';
import { PayError, paramError } from './pay-errors.ts';
import { rfc3339 } from './platform-keys.ts';
import { RecordLocks } from './record-lock.ts';

export const PREPAY_MS = 2 * 3600 * 1000;

export type TradeState = 'NOTPAY' | 'SUCCESS' | 'REFUND' | 'CLOSED';
export const TRADE_STATE_DESC: Record<TradeState, string> = { NOTPAY: '未支付', SUCCESS: '支付成功', REFUND: '转入退款', CLOSED: '已关闭' };

export type RefundStatus = 'PROCESSING' | 'SUCCESS';
export type Refund = { out_refund_no: string; refund_id: string; reason?: string; notify_url?: string; refund: number; create_time: string; success_time: string; fingerprint: string };

export type Order = {
  request: OrderRequest;
  tradeType: TradeType;
  /** A hash of the request: the same out_trade_no with other values is refused. */
  fingerprint: string;
  state: TradeState;
  createdAt: number;
  /** time_expire: when the order can no longer be paid, whatever its prepay_id or code_url (which last 2 hours). */
  payableUntil?: number;
  prepayId?: string;
  codeUrl?: string;
  prepayUntil: number;
  transactionId?: string;
  successTime?: string;
  payerOpenid?: string;
  refunds: Refund[];
  /** Grows with every change: a notification carries the order as it made it, to finish a change a crash cut short. */
  version: number;
};

/** The transaction resource: what queries answer and TRANSACTION.SUCCESS carries. */
export function transactionOf(order: Order): Record<string, unknown> {
  const { request } = order;
  const paid = order.state === 'SUCCESS' || order.state === 'REFUND';
  return {
    appid: request.appid,
    mchid: request.mchid,
    out_trade_no: request.out_trade_no,
    ...(paid ? { transaction_id: order.transactionId } : {}),
    trade_type: order.tradeType,
    trade_state: order.state,
    trade_state_desc: TRADE_STATE_DESC[order.state],
    ...(paid ? { bank_type: 'OTHERS', success_time: order.successTime } : {}),
    attach: request.attach ?? '',
    ...(paid || order.payerOpenid ? { payer: { openid: order.payerOpenid } } : {}),
    amount: paid ? { total: request.amount.total, payer_total: request.amount.total, currency: 'CNY', payer_currency: 'CNY' } : { total: request.amount.total, currency: 'CNY', payer_currency: 'CNY' },
  };
}

/** Why an order cannot be paid now (the pay sheet's and the SDK's `fail`), or undefined. */
export function unpayable(order: Order, now: number): PayError | undefined {
  if (order.state === 'CLOSED') return new PayError(400, 'ORDER_CLOSED', '订单已关闭 (the order is closed)');
  if (order.state !== 'NOTPAY') return new PayError(403, 'ORDERPAID', '订单已支付 (the order is paid)');
  if (order.payableUntil !== undefined && now >= order.payableUntil) return new PayError(400, 'ORDER_EXPIRED', '订单已过期 (time_expire has passed)');
  if (now >= order.prepayUntil) return new PayError(400, 'PREPAY_EXPIRED', '预支付交易会话已过期 (the prepay_id or code_url is older than 2 hours)');
  return undefined;
}

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
const compact = (now: number) => rfc3339(new Date(now)).slice(0, 19).replace(/\D/g, '');

export class Orders {
  private readonly orders: Records<Order>;
  private readonly index: Records<string>;
  readonly locks: RecordLocks;

  constructor(
    store: ChatStore,
    private readonly merchant: { mchId: string; appId?: string },
    private readonly followers: Followers,
    private readonly now: () => number,
  ) {
    this.orders = store.records<Order>('pay-orders');
    this.index = store.records<string>('pay-index');
    this.locks = new RecordLocks(store.records<string>('pay-locks'));
  }

  /** POST /v3/pay/transactions/jsapi|native: the order placed (or the same one again), its prepay_id or code_url. */
  async place(tradeType: TradeType, body: unknown): Promise<Order> {
    const now = this.now();
    const request = parseOrderRequest(body, tradeType, now);
    if (request.mchid !== this.merchant.mchId) throw new PayError(400, 'MCH_NOT_EXISTS', `商户号不存在 (mchid ${request.mchid} is not the merchant that signed the request)`);
    if (this.merchant.appId && request.appid !== this.merchant.appId) throw new PayError(400, 'APPID_MCHID_NOT_MATCH', `appid和mch_id不匹配 (the merchant's account is ${this.merchant.appId})`);
    if (request.payer) {
      await this.followers.find(request.payer.openid).catch(() => {
        throw paramError('payer.openid', 'openid和appid不匹配 (no user of this account has that OpenID)');
      });
    }
    const fingerprint = createHash('sha256').update(tradeType).update(JSON.stringify(request)).digest('hex');
    return this.locks.with(request.out_trade_no, async () => {
      const existing = await this.orders.get(request.out_trade_no);
      if (existing) {
        if (existing.fingerprint !== fingerprint) throw new PayError(403, 'OUT_TRADE_NO_USED', '商户订单号重复 (this out_trade_no was placed with other values)');
        if (existing.state === 'CLOSED') throw new PayError(400, 'ORDER_CLOSED', '订单已关闭 (the order is closed)');
        if (existing.state !== 'NOTPAY') throw new PayError(403, 'ORDERPAID', '订单已支付 (the order is paid)');
        if (now < existing.prepayUntil) return existing;
        if (existing.payableUntil !== undefined && now >= existing.payableUntil) throw new PayError(400, 'INVALID_REQUEST', '订单已过期 (time_expire has passed)');
      }
      const prepayUntil = now + PREPAY_MS;
      const order: Order = {
        ...(existing ?? { request, tradeType, fingerprint, state: 'NOTPAY', createdAt: now, refunds: [], version: 0 }),
        payableUntil: request.time_expire ? Date.parse(request.time_expire) : undefined,
        prepayUntil,
        version: (existing?.version ?? 0) + 1,
      };
      if (tradeType === 'JSAPI') {
        order.prepayId = `wx${compact(now)}${randomBytes(11).toString('hex')}`;
        await this.index.put(`prepay:${order.prepayId}`, request.out_trade_no, { ttlMs: PREPAY_MS });
      } else {
        const pr = randomBytes(6).toString('base64url');
        order.codeUrl = `weixin://wxpay/bizpayurl?pr=${pr}`;
        await this.index.put(`code:${pr}`, request.out_trade_no, { ttlMs: PREPAY_MS });
      }
      await this.orders.put(request.out_trade_no, order);
      return order;
    });
  }

  /** The order of an out_trade_no, checked against the mchid the caller named; 404 ORDER_NOT_EXIST. */
  async byOutTradeNo(outTradeNo: string, mchid: unknown): Promise<Order> {
    this.checkMchid(mchid);
    const order = await this.orders.get(outTradeNo);
    if (!order) throw new PayError(404, 'ORDER_NOT_EXIST', '订单不存在 (no order has that out_trade_no)');
    return order;
  }

  async byTransactionId(transactionId: string, mchid: unknown): Promise<Order> {
    this.checkMchid(mchid);
    const outTradeNo = await this.index.get(`tx:${transactionId}`);
    const order = outTradeNo === undefined ? undefined : await this.orders.get(outTradeNo);
    if (!order) throw new PayError(404, 'ORDER_NOT_EXIST', '订单不存在 (no paid order has that transaction_id)');
    return order;
  }

  /** The order a prepay_id or code_url names, while it is valid; undefined otherwise. */
  async byPrepay(reference: { prepayId?: string; codeUrl?: string }): Promise<Order | undefined> {
    const pr = reference.codeUrl?.match(/^weixin:\/\/wxpay\/bizpayurl\?pr=([A-Za-z0-9_-]+)$/)?.[1];
    const key = reference.prepayId ? `prepay:${reference.prepayId}` : pr ? `code:${pr}` : undefined;
    const outTradeNo = key && /^[\w:-]{1,80}$/.test(key) ? await this.index.get(key) : undefined;
    return outTradeNo === undefined ? undefined : this.orders.get(outTradeNo);
  }

  /** POST …/close: NOTPAY becomes CLOSED (again: no error); a paid order stays as it is. */
  async close(outTradeNo: string, body: unknown): Promise<void> {
    this.checkMchid((body as { mchid?: unknown } | undefined)?.mchid);
    await this.change(outTradeNo, (order) => {
      if (order.state === 'SUCCESS' || order.state === 'REFUND') throw new PayError(403, 'ORDERPAID', '订单已支付，不能关闭 (a paid order cannot be closed)');
      return order.state === 'CLOSED' ? undefined : { ...order, state: 'CLOSED' };
    });
  }

  /**
   * Changes an order holding its lock: `change` returns the new order (undefined: no change); `before` runs with
   * it before it is stored (a notification written ahead of the change it announces).
   */
  async change(outTradeNo: string, change: (order: Order) => Order | undefined, before?: (order: Order) => Promise<void>): Promise<Order> {
    return this.locks.with(outTradeNo, async () => {
      const order = await this.orders.get(outTradeNo);
      if (!order) throw new PayError(404, 'ORDER_NOT_EXIST', '订单不存在 (no order has that out_trade_no)');
      const changed = change(order);
      if (!changed) return order;
      const next = { ...changed, version: order.version + 1 };
      await before?.(next);
      if (next.transactionId && !order.transactionId) await this.index.put(`tx:${next.transactionId}`, outTradeNo);
      await this.orders.put(outTradeNo, next);
      return next;
    });
  }

  /** Stores an order a notification carries, unless the stored one is as new (finishing a change a crash cut short). */
  async catchUp(order: Order): Promise<void> {
    await this.locks.with(order.request.out_trade_no, async () => {
      const stored = await this.orders.get(order.request.out_trade_no);
      if (stored && stored.version >= order.version) return;
      if (order.transactionId) await this.index.put(`tx:${order.transactionId}`, order.request.out_trade_no);
      await this.orders.put(order.request.out_trade_no, order);
    });
  }

  /** A new transaction id: 4200, the date and time, random digits (28 in all). */
  newTransactionId(): string {
    return `4200${compact(this.now()).slice(2)}${digits(12)}`;
  }

  private checkMchid(mchid: unknown): void {
    if (typeof mchid !== 'string' || mchid === '') throw paramError('mchid', '缺少参数 (required)');
    if (mchid !== this.merchant.mchId) throw new PayError(400, 'MCH_NOT_EXISTS', `商户号不存在 (mchid ${mchid})`);
  }
}
