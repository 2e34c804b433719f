// Web authorization inside the in-app browser. A page (or its server's redirect) that goes to WeChat's authorize
// address is sent to a page of the simulator's own on the same pages host, where the chat window — which alone
// knows whose chat opened the page — authorizes its own user (POST /api/pages/authorize). The page's URL never
// names the user, so editing it cannot sign in anyone else.

/** The reserved path on every pages host where the in-app browser's authorization happens. */
export const AUTHORIZE_PAGE_PATH = '/.wechat-oa-simulator/authorize';

/** Where WeChat's authorize page is, on the simulator's own origin too. */
export const AUTHORIZE_PATH = '/connect/oauth2/authorize';

const WECHAT_AUTHORIZE = /^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\/authorize$/;

/**
 * Whether `url` is an authorize address: WeChat's (what client libraries build) or the simulator's own at one
 * of `simulatorOrigins` (what a page written for the simulator may use).
 */
export function isAuthorizeAddress(url: URL, simulatorOrigins: readonly string[]): boolean {
  return WECHAT_AUTHORIZE.test(`${url.origin}${url.pathname}`) || (url.pathname === AUTHORIZE_PATH && simulatorOrigins.includes(url.origin));
}

/** The authorize page on the pages host `pagesOrigin` for an authorize address, with the same query (its #wechat_redirect dropped). */
export function authorizePageUrl(url: URL, pagesOrigin: string): string {
  return `${pagesOrigin}${AUTHORIZE_PAGE_PATH}${url.search}`;
}
