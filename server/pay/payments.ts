// A payer paying an order: from the pay sheet (a prepay_id), by scanning a Native code_url, or from a test
// script through the SDK. The order becomes SUCCESS unless it cannot be paid, or the developer panel's switch
// makes this payment fail as an empty balance does (NOTENOUGH).
import type { Records } from '../store/chat-store.ts';
import { PayError } from './pay-errors.ts';
import { rfc3339 } from './platform-keys.ts';
import { unpayable, type Order, type Orders } from './orders.ts';

export type PayReference = { prepayId?: string; codeUrl?: string };

/** What the payer pays with: their OpenID (a JSAPI order's payer must be the one it names). */
export type Payer = { openid: string };

const FAIL_NEXT = 'fail-next';

export class Payments {
  constructor(
    private readonly orders: Orders,
    /** The developer panel's switch, shared by every process. */
    private readonly switches: Records<{ code: 'NOTENOUGH' }>,
    private readonly now: () => number,
  ) {}

  /** The order a pay sheet would show, or the reason it cannot be paid. */
  async payable(reference: PayReference): Promise<Order> {
    const order = await this.orders.byPrepay(reference);
    if (!order) throw new PayError(404, 'ORDER_NOT_EXIST', reference.codeUrl ? '二维码已过期或不存在 (no valid code_url)' : '预支付交易会话不存在或已过期 (no valid prepay_id)');
    const refusal = unpayable(order, this.now());
    if (refusal) throw refusal;
    return order;
  }

  /** Pays; `before` runs with the paid order before it is stored (the notification, written ahead). */
  async pay(reference: PayReference, payer: Payer, before?: (order: Order) => Promise<void>): Promise<Order> {
    const found = await this.payable(reference);
    if (found.request.payer && found.request.payer.openid !== payer.openid) throw new PayError(403, 'NO_AUTH', '该订单属于另一位用户 (the order names another payer)');
    const failing = await this.switches.get(FAIL_NEXT);
    if (failing) {
      await this.switches.delete(FAIL_NEXT);
      throw new PayError(403, 'NOTENOUGH', '余额不足 (the balance is not enough: the developer panel made this payment fail)');
    }
    const now = this.now();
    return this.orders.change(
      found.request.out_trade_no,
      (order) => {
        const refusal = unpayable(order, now);
        if (refusal) throw refusal;
        return { ...order, state: 'SUCCESS', transactionId: this.orders.newTransactionId(), successTime: rfc3339(new Date(now)), payerOpenid: payer.openid };
      },
      before,
    );
  }

  /** The developer panel's switch: the next payment fails with NOTENOUGH (on), or not (off). */
  async failNext(on: boolean): Promise<void> {
    if (on) await this.switches.put(FAIL_NEXT, { code: 'NOTENOUGH' });
    else await this.switches.delete(FAIL_NEXT);
  }

  async failsNext(): Promise<boolean> {
    return (await this.switches.get(FAIL_NEXT)) !== undefined;
  }
}
