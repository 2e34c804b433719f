// What a JSAPI or Native order request must be, as the platform checks it: each field's type, length and
// characters, the amount in fen, time_expire in RFC 3339, notify_url an absolute http(s) URL without a query.
import { paramError, PayError } from './pay-errors.ts';

export type TradeType = 'JSAPI' | 'NATIVE';

export type OrderRequest = {
  appid: string;
  mchid: string;
  description: string;
  out_trade_no: string;
  time_expire?: string;
  attach?: string;
  notify_url: string;
  goods_tag?: string;
  amount: { total: number; currency: 'CNY' };
  payer?: { openid: string };
  detail?: unknown;
  scene_info?: unknown;
  settle_info?: unknown;
};

export const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
const MAX_TOTAL = 2 ** 31 - 1;

type Fields = Record<string, unknown>;

function text(body: Fields, field: string, { min = 1, max, optional = false }: { min?: number; max: number; optional?: boolean }): string | undefined {
  const value = body[field];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string') throw paramError(field, value === undefined ? '缺少参数 (required)' : '应为字符串 (must be a string)');
  const length = [...value].length;
  if (length < min || length > max) throw paramError(field, `长度应在${min}到${max}之间 (${min} to ${max} characters)`);
  return value;
}

function object(value: unknown, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw paramError(field, value === undefined ? '缺少参数 (required)' : '应为对象 (must be an object)');
  return value as Fields;
}

/** A notify_url the platform takes: absolute http(s), at most 255 characters, no query string. */
export function notifyUrl(body: Fields, field = 'notify_url', optional = false): string | undefined {
  const url = text(body, field, { max: 255, optional });
  if (url === undefined) return undefined;
  if (!/^https?:\/\//.test(url) || !URL.canParse(url)) throw paramError(field, '应为http或https的绝对地址 (an absolute http(s) URL)');
  if (new URL(url).search) throw paramError(field, '不能携带参数 (no query string)');
  return url;
}

/** The order a request asks for; throws PARAM_ERROR naming the first field that is wrong. */
export function parseOrderRequest(body: unknown, tradeType: TradeType, now: number): OrderRequest {
  const fields = object(body, 'body');
  const amount = object(fields.amount, 'amount');
  const total = amount.total;
  if (typeof total !== 'number' || !Number.isInteger(total)) throw paramError('amount.total', '应为整数，单位分 (a whole number of fen)');
  if (total <= 0 || total > MAX_TOTAL) throw paramError('amount.total', `应在1到${MAX_TOTAL}之间 (at least 1 fen)`);
  if (amount.currency !== undefined && amount.currency !== 'CNY') throw paramError('amount.currency', '仅支持CNY (only CNY)');
  const outTradeNo = text(fields, 'out_trade_no', { min: 6, max: 32 })!;
  if (!OUT_TRADE_NO.test(outTradeNo)) throw paramError('out_trade_no', '只能是数字、大小写字母_-|* (digits, letters and _-|*)');
  const timeExpire = text(fields, 'time_expire', { max: 64, optional: true });
  if (timeExpire !== undefined) {
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(timeExpire) || Number.isNaN(Date.parse(timeExpire))) throw paramError('time_expire', '应为RFC 3339格式，如2026-12-02T14:00:00+08:00');
    if (Date.parse(timeExpire) <= now) throw new PayError(400, 'INVALID_REQUEST', 'time_expire已过期 (time_expire is in the past)');
  }
  let payer: OrderRequest['payer'];
  if (tradeType === 'JSAPI' || fields.payer !== undefined) {
    const given = object(fields.payer, 'payer');
    payer = { openid: text(given, 'openid', { max: 128 })! };
  }
  return {
    appid: text(fields, 'appid', { max: 32 })!,
    mchid: text(fields, 'mchid', { max: 32 })!,
    description: text(fields, 'description', { max: 127 })!,
    out_trade_no: outTradeNo,
    ...(timeExpire === undefined ? {} : { time_expire: timeExpire }),
    ...optionalText(fields, 'attach', 128),
    notify_url: notifyUrl(fields)!,
    ...optionalText(fields, 'goods_tag', 32),
    amount: { total, currency: 'CNY' },
    ...(payer ? { payer } : {}),
    ...(fields.detail === undefined ? {} : { detail: object(fields.detail, 'detail') }),
    ...(fields.scene_info === undefined ? {} : { scene_info: object(fields.scene_info, 'scene_info') }),
    ...(fields.settle_info === undefined ? {} : { settle_info: object(fields.settle_info, 'settle_info') }),
  };
}

function optionalText(fields: Fields, field: string, max: number): Record<string, string> {
  const value = text(fields, field, { max, optional: true });
  return value === undefined ? {} : { [field]: value };
}
