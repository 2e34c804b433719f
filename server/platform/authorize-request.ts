// The authorize request of web authorization (connect/oauth2/authorize), checked as WeChat's authorize page
// checks it, and the redirect it ends in. Pure: the page (transport/http-authorize.ts) shows the refusal or
// follows the redirect.
import { describeDomain, onDomains, type WebDomain } from './web-domains.ts';

export const SCOPES = ['snsapi_base', 'snsapi_userinfo'] as const;
export type Scope = (typeof SCOPES)[number];

export type AuthorizeRequest = { appId: string; redirectUri: string; scope: Scope; state: string };

/** Why the authorize page refuses: the code WeChat's error page shows, and what to change. */
export type AuthorizeRefusal = { errcode: number; message: string };

// WeChat's page codes: 10003 the redirect_uri's domain, 10005 the scope, 10010/10011/10012 a missing scope,
// redirect_uri or appid. Where its code is not known (another appid, response_type, state), the simulator
// uses the platform's 40013 and 10008 ("request parameters malformed"); see docs/testing-your-pages.md.
const STATE = /^[A-Za-z0-9]{0,128}$/;

export type AuthorizeAccount = { appId: string; domains: readonly WebDomain[] };

/** The request, or the refusal WeChat's page would show, for the query of an authorize URL. */
export function parseAuthorizeQuery(query: Record<string, unknown>, account: AuthorizeAccount): { ok: true; request: AuthorizeRequest } | { ok: false; refusal: AuthorizeRefusal } {
  const refuse = (errcode: number, message: string) => ({ ok: false as const, refusal: { errcode, message } });
  const { appid, redirect_uri: redirectUri, response_type: responseType, scope, state = '' } = query;
  if (typeof appid !== 'string' || appid === '') return refuse(10012, 'appid is missing');
  if (appid !== account.appId) return refuse(40013, `appid ${appid} is not this account's (${account.appId})`);
  if (typeof redirectUri !== 'string' || redirectUri === '') return refuse(10011, 'redirect_uri is missing');
  if (!onDomains(redirectUri, account.domains)) {
    const allowed = account.domains.length ? account.domains.map(describeDomain).join(', ') : 'none: start the simulator with --target, or set OAUTH_DOMAINS';
    return refuse(10003, `redirect_uri ${redirectUri} is not on the account's web authorization domain (${allowed})`);
  }
  if (responseType !== 'code') return refuse(10008, 'response_type must be code');
  if (typeof scope !== 'string' || scope === '') return refuse(10010, 'scope is missing');
  if (!SCOPES.includes(scope as Scope)) return refuse(10005, `scope ${scope} is not one this account has: snsapi_base or snsapi_userinfo`);
  if (typeof state !== 'string' || !STATE.test(state)) return refuse(10008, 'state may have only a-z, A-Z and 0-9, at most 128 of them');
  return { ok: true, request: { appId: appid, redirectUri, scope: scope as Scope, state } };
}

/** Where the page sends the browser: `redirect_uri?code=CODE&state=STATE`, or `redirect_uri?state=STATE` after Deny. */
export function redirectTo({ redirectUri, state }: AuthorizeRequest, code?: string): string {
  const hash = redirectUri.indexOf('#');
  const [base, fragment] = hash < 0 ? [redirectUri, ''] : [redirectUri.slice(0, hash), redirectUri.slice(hash)];
  const added = `${code === undefined ? '' : `code=${encodeURIComponent(code)}&`}state=${state}`;
  return `${base}${base.includes('?') ? '&' : '?'}${added}${fragment}`;
}

/** The simulator's address for an authorize URL a library built for WeChat (https://open.weixin.qq.com/connect/oauth2/authorize?…), for a user when given. */
export function simulatorAuthorizeUrl(wechatUrl: string, simulatorOrigin: string, userId?: string): string {
  const parsed = new URL(wechatUrl);
  const url = new URL(`${parsed.pathname}${parsed.search}`, simulatorOrigin);
  if (userId !== undefined) url.searchParams.set('user', userId);
  return url.href;
}
