// wx.config for the in-app browser's pages, checked by the platform (web-auth's checkJsConfig, once merged).
import type { Platform } from '../platform/platform.ts';
import type { JsConfigCheck } from './js-config-check.ts';

/** The check the bridge's preVerifyJSAPI goes through; the platform issues no jsapi ticket yet, so no signature holds. */
export function checkPageJsConfig(_platform: Platform): JsConfigCheck {
  return async () => ({ ok: false, errMsg: 'config:invalid signature', detail: 'this simulator issues no jsapi tickets yet' });
}
