// The pay sheet WeChat shows when a page asks to pay (getBrandWCPayRequest, jweixin's chooseWXPay) or a person
// scans a Native code_url: opened for a chat user once the request holds (the paySign is the merchant key's
// over the page's own values), then answered by Pay or Cancel — in the chat window, or by a test script through
// the SDK. One open sheet per user (kind `pay-sheets`), so the window and a script see the same one.
import type { Records } from '../store/chat-store.ts';
import type { Order } from './orders.ts';
import { PayError } from './pay-errors.ts';
import type { PayReference } from './payments.ts';
import { paySignValid, type MerchantKey } from './signatures.ts';

/** What the sheet shows, and how it ended once it did. */
export type PaySheet = {
  reference: PayReference;
  merchant: string;
  description: string;
  /** In fen. */
  total: number;
  outTradeNo: string;
  outcome?: { result: 'ok' | 'cancel' | 'fail'; code?: string; message?: string; transactionId?: string };
};

// A sheet nobody answers is gone after this long, as WeChat's times out.
const SHEET_MS = 10 * 60 * 1000;

/** What getBrandWCPayRequest carries (jweixin's chooseWXPay adds appId from wx.config, and signType "SHA1" when the page gave none). */
export type PayRequest = { appId?: unknown; timeStamp?: unknown; nonceStr?: unknown; package?: unknown; signType?: unknown; paySign?: unknown };

/** The prepay_id a JSAPI request names, once its fields and paySign hold; throws PayError (the page's `fail`) otherwise. */
export function checkPayRequest(request: PayRequest, merchant: MerchantKey, appId: string | undefined): PayReference {
  const { appId: app, timeStamp, nonceStr, package: pkg, signType, paySign } = request;
  for (const [name, value] of Object.entries({ appId: app, timeStamp, nonceStr, package: pkg, paySign })) {
    if (typeof value !== 'string' || value === '') throw new PayError(400, 'PARAM_ERROR', `缺少参数 ${name} (${name} is missing)`);
  }
  if (appId && app !== appId) throw new PayError(400, 'APPID_MCHID_NOT_MATCH', `appId与下单的appid不一致 (the account is ${appId})`);
  if (signType !== 'RSA') throw new PayError(400, 'SIGN_ERROR', `支付验证签名失败 (APIv3 pays with signType "RSA", not ${JSON.stringify(signType ?? null)})`);
  const prepayId = /^prepay_id=(\S+)$/.exec(pkg as string)?.[1];
  if (!prepayId) throw new PayError(400, 'PARAM_ERROR', 'package应为prepay_id=… (package must be "prepay_id=…")');
  if (!paySignValid({ appId: app as string, timeStamp: timeStamp as string, nonceStr: nonceStr as string, package: pkg as string, paySign: paySign as string }, merchant)) {
    throw new PayError(400, 'SIGN_ERROR', '支付验证签名失败 (paySign is not the merchant key\'s over appId, timeStamp, nonceStr and package)');
  }
  return { prepayId };
}

export class PaySheets {
  constructor(private readonly sheets: Records<PaySheet>) {}

  /** Opens the sheet for `order` (replacing one left open). */
  async open(userId: string, reference: PayReference, order: Order, merchant: string): Promise<PaySheet> {
    const sheet: PaySheet = { reference, merchant, description: order.request.description, total: order.request.amount.total, outTradeNo: order.request.out_trade_no };
    await this.sheets.put(userId, sheet, { ttlMs: SHEET_MS });
    return sheet;
  }

  /** The user's sheet, open or just answered. */
  get(userId: string): Promise<PaySheet | undefined> {
    return this.sheets.get(userId);
  }

  /** The open sheet, or 404 when there is none (or it was answered already). */
  async pending(userId: string): Promise<PaySheet> {
    const sheet = await this.sheets.get(userId);
    if (!sheet || sheet.outcome) throw new PayError(404, 'NO_PAY_SHEET', 'no pay sheet is open for this user');
    return sheet;
  }

  /** Records how the sheet ended; the window that shows it reads it and answers the page. */
  async end(userId: string, sheet: PaySheet, outcome: NonNullable<PaySheet['outcome']>): Promise<PaySheet> {
    const ended = { ...sheet, outcome };
    await this.sheets.put(userId, ended, { ttlMs: SHEET_MS });
    return ended;
  }
}
