// The JS-SDK's signature and wx.config's check, as WeChat makes it: pure functions of what the page sent, the
// account's appid, the tickets currently valid and the JS interface domains. The in-app browser's bridge
// calls checkJsConfig with what jweixin's preVerifyJSAPI carries and the page's own URL.
import { createHash } from 'node:crypto';
import { onDomains, type WebDomain } from './web-domains.ts';

export type SignatureInput = { jsapi_ticket: string; noncestr: string; timestamp: string | number; url: string };

/** sha1 over `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` (the keys sorted, the values raw), in hex. */
export function jsapiSignature({ jsapi_ticket, noncestr, timestamp, url }: SignatureInput): string {
  const text = `jsapi_ticket=${jsapi_ticket}&noncestr=${noncestr}&timestamp=${timestamp}&url=${url}`;
  return createHash('sha1').update(text).digest('hex');
}

/** What wx.config sent (jweixin's names), and the URL of the page that sent it. */
export type JsConfig = { appId: unknown; timestamp: unknown; nonceStr: unknown; signature: unknown; url: string; jsApiList?: unknown };

export type JsConfigAccount = {
  appId: string;
  /** The jsapi tickets valid now (getticket's, across processes sharing the store). */
  tickets: readonly string[];
  jsDomains: readonly WebDomain[];
};

/** `ok` with the APIs the page may call, or WeChat's errMsg and a hint for the developer. */
export type JsConfigResult = { ok: true; jsApiList: string[] } | { ok: false; errMsg: string; detail: string };

const refuse = (errMsg: string, detail: string): JsConfigResult => ({ ok: false, errMsg, detail });

/** Checks wx.config as WeChat does: the JS interface domain, the appId, then the signature against every current ticket. */
export function checkJsConfig(config: JsConfig, account: JsConfigAccount): JsConfigResult {
  // The page's URL as the page sees it, without its fragment, is what the signature covers.
  const url = config.url.replace(/#.*$/s, '');
  if (!onDomains(url, account.jsDomains)) {
    return refuse('config:invalid url domain', `${hostOf(url)} is not among the JS interface domains (JS_DOMAINS / --js-domains)`);
  }
  if (config.appId !== account.appId) return refuse('config:invalid signature', `appId must be the account's appid, ${account.appId}`);
  const { timestamp, nonceStr, signature } = config;
  if (typeof timestamp !== 'string' && typeof timestamp !== 'number') return refuse('config:invalid signature', 'timestamp is missing');
  if (typeof nonceStr !== 'string' || nonceStr === '') return refuse('config:invalid signature', 'nonceStr is missing');
  if (typeof signature !== 'string') return refuse('config:invalid signature', 'signature is missing');
  const jsApiList = Array.isArray(config.jsApiList) ? config.jsApiList.filter((api): api is string => typeof api === 'string') : [];
  const given = signature.toLowerCase();
  if (account.tickets.some((ticket) => jsapiSignature({ jsapi_ticket: ticket, noncestr: nonceStr, timestamp, url }) === given)) return { ok: true, jsApiList };
  const why = account.tickets.length === 0 ? 'no jsapi ticket is valid now: get one with GET /cgi-bin/ticket/getticket?type=jsapi' : `no valid jsapi ticket gives this signature for ${url} (a stale or forged ticket, another URL, nonceStr or timestamp)`;
  return refuse('config:invalid signature', why);
}

const hostOf = (url: string) => (URL.canParse(url) ? new URL(url).host : JSON.stringify(url));
