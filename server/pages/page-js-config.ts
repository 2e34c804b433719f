// wx.config for the in-app browser's pages, checked by the platform (js-config.ts) with the page's original
// URL: its host is the one among the JS interface domains. A server that signs the URL its page reports
// (location.href, on the pages host) is right too, since that is the page's URL as it sees it.
import { checkJsConfig } from '../platform/js-config.ts';
import type { Platform } from '../platform/platform.ts';
import { domainOfUrl } from '../platform/web-domains.ts';
import type { JsConfigCheck } from './js-config-check.ts';

/** The check the bridge's preVerifyJSAPI goes through. */
export function checkPageJsConfig(platform: Platform): JsConfigCheck {
  return async (config, urls) => {
    let web;
    try {
      web = platform.web();
    } catch (err) {
      return { ok: false, errMsg: 'config:invalid signature', detail: (err as Error).message };
    }
    const result = await web.checkJsConfig({ ...config, url: urls.original });
    if (result.ok || result.errMsg !== 'config:invalid signature') return result;
    const seenDomain = domainOfUrl(urls.asSeen);
    if (!seenDomain) return result;
    const asSeen = checkJsConfig({ ...config, url: urls.asSeen }, { appId: web.appId, tickets: await web.tickets.valid('jsapi'), jsDomains: [seenDomain] });
    return asSeen.ok ? asSeen : result;
  };
}
