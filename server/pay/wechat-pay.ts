// WeChat Pay APIv3 for the merchant's server, on (with its settings) beside the platform API: the platform's
// key pair, the merchant's key, and what each /v3/ call does. HTTP is http-pay.ts's business.
import { createPublicKey } from 'node:crypto';
import type { ChatService } from '../core/chat-service.ts';
import type { Logger } from '../logger.ts';
import type { Followers } from '../platform/users.ts';
import type { ChatStore } from '../store/chat-store.ts';
import { aesGcmEncrypt } from './pay-crypto.ts';
import type { PaySettings } from './pay-settings.ts';
import { platformKeys, type PlatformKeys } from './platform-keys.ts';
import { Orders, transactionOf, type Order } from './orders.ts';
import { Payments, type PayReference } from './payments.ts';
import { Notifications } from './notifications.ts';
import { refundNotice, refundOf, Refunds } from './refunds.ts';
import { checkPayRequest, PaySheets, type PaySheet, type PayRequest } from './pay-sheets.ts';
import { PayError } from './pay-errors.ts';
import { receiptMessage } from './receipt.ts';
import { openIdOf } from '../wechat/remote-bot.ts';
import { signingHeaders, verifyRequest, type MerchantKey, type SignedRequest } from './signatures.ts';

export type PayParts = {
  store: ChatStore;
  service: ChatService;
  followers: Followers;
  logger: Logger;
  now?: () => number;
  /** The account's appid (--appid): orders must name it; any is taken without it. */
  appId?: string;
};

export class WechatPay {
  readonly merchant: MerchantKey;
  readonly orders: Orders;
  readonly payments: Payments;
  readonly notifications: Notifications;
  readonly refunds: Refunds;
  readonly sheets: PaySheets;
  private readonly now: () => number;

  private constructor(
    private readonly parts: PayParts,
    readonly settings: PaySettings,
    readonly keys: PlatformKeys,
  ) {
    this.now = parts.now ?? Date.now;
    this.merchant = { mchId: settings.mchId, serial: settings.mchSerial, publicKey: createPublicKey(settings.mchPublicKeyPem) };
    this.orders = new Orders(parts.store, { mchId: settings.mchId, appId: parts.appId }, parts.followers, this.now);
    this.payments = new Payments(this.orders, parts.store.records('pay-switches'), this.now);
    this.sheets = new PaySheets(parts.store.records('pay-sheets'));
    this.refunds = new Refunds(parts.store, this.orders, settings.mchId, this.now);
    this.notifications = new Notifications({
      store: parts.store,
      service: parts.service,
      logger: parts.logger,
      apiV3Key: settings.apiV3Key,
      sign: (body) => this.sign(body),
      catchUp: (order) => this.orders.catchUp(order),
      now: this.now,
      speedup: settings.notifySpeedup,
    });
  }

  /** Start-up: reads (or makes, once) the platform's key pair, and starts sending pending notifications. */
  static async open(parts: PayParts, settings: PaySettings): Promise<WechatPay> {
    const pay = new WechatPay(parts, settings, await platformKeys(parts.store, parts.now));
    pay.notifications.start();
    return pay;
  }

  /** Stops sending notifications (those pending stay in the store for the next start). */
  async stop(): Promise<void> {
    await this.notifications.stop();
  }

  /** What Wechatpay-Serial says: the public key's id, or the certificate's serial (PAY_SIGN_WITH). */
  get serial(): string {
    return this.settings.signWith === 'certificate' ? this.keys.certificateSerial : this.keys.keyId;
  }

  /** Throws 401 SIGN_ERROR unless the merchant signed the request. */
  verify(request: SignedRequest): void {
    verifyRequest(request, this.merchant, this.now());
  }

  /** The Wechatpay-* headers for a body the platform sends (an answer, a notification). */
  sign(body: string): Record<string, string> {
    return signingHeaders(body, { privateKey: this.keys.privateKey, serial: this.serial }, this.now());
  }

  /** GET /v3/certificates: the platform certificate, encrypted with the APIv3 key as the platform serves it. */
  certificates(): object {
    const { certificateSerial, certificatePem, effectiveTime, expireTime } = this.keys;
    return {
      data: [{ serial_no: certificateSerial, effective_time: effectiveTime, expire_time: expireTime, encrypt_certificate: aesGcmEncrypt(certificatePem, this.settings.apiV3Key, 'certificate') }],
    };
  }

  /** POST /v3/pay/transactions/jsapi → { prepay_id } */
  async placeJsapi(body: unknown): Promise<object> {
    const order = await this.orders.place('JSAPI', body);
    return { prepay_id: order.prepayId };
  }

  /** POST /v3/pay/transactions/native → { code_url } */
  async placeNative(body: unknown): Promise<object> {
    const order = await this.orders.place('NATIVE', body);
    return { code_url: order.codeUrl };
  }

  /** GET /v3/pay/transactions/out-trade-no/{no}?mchid= and …/id/{transaction_id}?mchid= */
  async query(by: { outTradeNo?: string; transactionId?: string }, mchid: unknown): Promise<object> {
    const order = by.transactionId !== undefined ? await this.orders.byTransactionId(by.transactionId, mchid) : await this.orders.byOutTradeNo(by.outTradeNo!, mchid);
    return transactionOf(order);
  }

  /** POST /v3/pay/transactions/out-trade-no/{no}/close { mchid } → 204 */
  async closeOrder(outTradeNo: string, body: unknown): Promise<void> {
    await this.orders.close(outTradeNo, body);
  }

  /** A chat user pays (the pay sheet, a scanned code_url, the SDK): TRANSACTION.SUCCESS, and WeChat Pay's receipt in their chat. */
  async pay(reference: PayReference, userId: string): Promise<Order> {
    const order = await this.payments.pay(reference, { openid: openIdOf(userId) }, (paid) =>
      this.notifications.add(this.notifications.prepare(paid.request.notify_url, { eventType: 'TRANSACTION.SUCCESS', summary: '支付成功', originalType: 'transaction', resource: transactionOf(paid) }, paid)),
    );
    this.parts.logger.info({ outTradeNo: order.request.out_trade_no, transactionId: order.transactionId }, 'WeChat Pay: order paid');
    // The payment stands whether or not the receipt can be shown.
    await this.parts.service.deliver(userId, [receiptMessage(order, this.merchantName)]).catch((err: unknown) => this.parts.logger.warn({ err }, 'WeChat Pay: the receipt could not be shown in the chat'));
    return order;
  }

  /** The merchant's name on the sheet and the receipt: PAY_MERCHANT_NAME, else the account's. */
  private get merchantName(): string {
    return this.settings.merchantName ?? this.parts.service.account.name;
  }

  /** Opens the pay sheet for a page's getBrandWCPayRequest (paySign checked) or a scanned code_url; PayError: the page's `fail`. */
  async openSheet(userId: string, request: PayRequest | { code_url: string }): Promise<PaySheet> {
    const reference = 'code_url' in request ? { codeUrl: request.code_url } : checkPayRequest(request, this.merchant, this.parts.appId);
    const order = await this.payments.payable(reference);
    if (order.request.payer && order.request.payer.openid !== openIdOf(userId)) throw new PayError(403, 'NO_AUTH', '该订单属于另一位用户 (the order names another payer)');
    return this.sheets.open(userId, reference, order, this.merchantName);
  }

  /** Pay or Cancel on the user's open sheet: the outcome the page gets (ok, cancel, or fail and why). */
  async answerSheet(userId: string, answer: 'pay' | 'cancel'): Promise<PaySheet> {
    const sheet = await this.sheets.pending(userId);
    if (answer === 'cancel') return this.sheets.end(userId, sheet, { result: 'cancel' });
    try {
      const order = await this.pay(sheet.reference, userId);
      return await this.sheets.end(userId, sheet, { result: 'ok', transactionId: order.transactionId });
    } catch (err) {
      if (!(err instanceof PayError)) throw err;
      return this.sheets.end(userId, sheet, { result: 'fail', code: err.code, message: err.message });
    }
  }

  /** POST /v3/refund/domestic/refunds: refunded at once, REFUND.SUCCESS to the refund's notify_url (else the order's). */
  async refund(body: unknown): Promise<object> {
    const { order, refund, created } = await this.refunds.create(body, (changed, made) =>
      this.notifications.add(
        this.notifications.prepare(made.notify_url ?? changed.request.notify_url, { eventType: 'REFUND.SUCCESS', summary: '退款成功', originalType: 'refund', resource: refundNotice(changed, made) }, changed),
      ),
    );
    return refundOf(order, refund, created);
  }

  /** GET /v3/refund/domestic/refunds/{out_refund_no} */
  async queryRefund(outRefundNo: string): Promise<object> {
    const { order, refund } = await this.refunds.byOutRefundNo(outRefundNo);
    return refundOf(order, refund);
  }

  /** GET /api/pay/public-key: WeChat Pay's public key as a merchant downloads it in public-key mode. */
  publicKey(): { keyId: string; pem: string } {
    return { keyId: this.keys.keyId, pem: this.keys.publicPem };
  }
}
