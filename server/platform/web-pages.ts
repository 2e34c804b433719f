// The platform's half of the account's web pages: web authorization (the authorize page's checks and codes,
// the /sns/ calls) and the JS-SDK (tickets, wx.config's check), with the account's two domain lists.
import type { ChatStore } from '../store/chat-store.ts';
import { parseAuthorizeQuery, type Scope } from './authorize-request.ts';
import { checkJsConfig, type JsConfig, type JsConfigResult } from './js-config.ts';
import { JsTickets } from './js-tickets.ts';
import { OAuthCodes } from './oauth-codes.ts';
import type { Profiles } from './profiles.ts';
import { Sns } from './sns.ts';
import type { Credentials, Tokens } from './tokens.ts';
import { domainOfUrl, type WebDomain } from './web-domains.ts';

export type WebPagesOptions = {
  /** The web authorization domain (OAUTH_DOMAINS); the target's host and port when not given. */
  oauthDomains?: WebDomain[];
  /** The JS interface domains (JS_DOMAINS); the target's host and port when not given. */
  jsDomains?: WebDomain[];
  /** The server under test's URL, whose host and port are both lists' default. */
  targetUrl?: string;
};

export type WebPagesParts = { store: ChatStore; tokens: Tokens; credentials: Credentials; profiles: Profiles; now: () => number };

export class WebPages {
  readonly sns: Sns;
  readonly tickets: JsTickets;
  readonly oauthDomains: readonly WebDomain[];
  readonly jsDomains: readonly WebDomain[];
  private readonly codes: OAuthCodes;
  readonly appId: string;

  constructor({ store, tokens, credentials, profiles, now }: WebPagesParts, options: WebPagesOptions) {
    this.appId = credentials.appId;
    const targetDomain = options.targetUrl ? domainOfUrl(options.targetUrl) : undefined;
    const fallback = targetDomain ? [targetDomain] : [];
    this.oauthDomains = options.oauthDomains ?? fallback;
    this.jsDomains = options.jsDomains ?? fallback;
    this.codes = new OAuthCodes(store, credentials, now);
    this.sns = new Sns({ tokens, codes: this.codes, profiles, credentials, now });
    this.tickets = new JsTickets(store, now);
  }

  /** The authorize page's checks of its query (appid, redirect_uri's domain, response_type, scope, state). */
  authorizeRequest(query: Record<string, unknown>) {
    return parseAuthorizeQuery(query, { appId: this.appId, domains: this.oauthDomains });
  }

  /** A code for a user who authorized (or, for snsapi_base, was sent through). */
  issueCode(userId: string, scope: Scope): string {
    return this.codes.issue(userId, scope);
  }

  /** wx.config's check of a page, against the jsapi tickets valid now. */
  async checkJsConfig(config: JsConfig): Promise<JsConfigResult> {
    return checkJsConfig(config, { appId: this.appId, tickets: await this.tickets.valid('jsapi'), jsDomains: this.jsDomains });
  }
}
