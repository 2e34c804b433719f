// The server half of web authorization under /sns/: a code for a web access token and a refresh token, the
// refresh, the user's nickname and avatar, and the token check. The tokens carry the user and the scope
// (signed-grant.ts), so they need no store; only the codes' single use is stored (oauth-codes.ts).
import { openIdOf } from '../wechat/remote-bot.ts';
import type { Scope } from './authorize-request.ts';
import { OK, PlatformError } from './errors.ts';
import type { OAuthCodes } from './oauth-codes.ts';
import type { Profiles } from './profiles.ts';
import { GrantSigner, type Grant } from './signed-grant.ts';
import { TOKEN_SECONDS, type Credentials, type Tokens } from './tokens.ts';

export const REFRESH_DAYS = 30;
const REFRESH_MS = REFRESH_DAYS * 86_400_000;

type GrantFields = { user: string; scope: Scope };

export type SnsParts = { tokens: Tokens; codes: OAuthCodes; profiles: Profiles; credentials: Credentials; now: () => number };

export class Sns {
  private readonly accessTokens: GrantSigner<GrantFields>;
  private readonly refreshTokens: GrantSigner<GrantFields>;

  constructor(private readonly parts: SnsParts) {
    const { appId, secret } = parts.credentials;
    this.accessTokens = new GrantSigner(appId, secret, 'sns access_token');
    this.refreshTokens = new GrantSigner(appId, secret, 'sns refresh_token');
  }

  /** GET sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code */
  async accessToken(query: Record<string, unknown>): Promise<object> {
    this.parts.tokens.authenticate(query.appid, query.secret);
    if (query.grant_type !== 'authorization_code') throw new PlatformError(40002, 'grant_type must be authorization_code');
    const granted = await this.parts.codes.use(query.code);
    const refreshToken = this.refreshTokens.issue(granted, this.parts.now() + REFRESH_MS).text;
    return this.answer(granted, refreshToken);
  }

  /** GET sns/oauth2/refresh_token?appid&grant_type=refresh_token&refresh_token: a new access token, the same refresh token. */
  async refreshToken(query: Record<string, unknown>): Promise<object> {
    this.authenticateAppId(query.appid);
    if (query.grant_type !== 'refresh_token') throw new PlatformError(40002, 'grant_type must be refresh_token');
    if (typeof query.refresh_token !== 'string' || query.refresh_token === '') throw new PlatformError(41003, 'add &refresh_token= from sns/oauth2/access_token');
    const grant = this.refreshTokens.verify(query.refresh_token);
    if (!grant) throw new PlatformError(40030, 'not a refresh_token of this simulator (this --appid and --secret)');
    if (grant.expiresAt <= this.parts.now()) throw new PlatformError(42002, `a refresh_token works for ${REFRESH_DAYS} days: authorize again`);
    return this.answer(grant.fields, query.refresh_token);
  }

  /** GET sns/userinfo?access_token&openid&lang: 48001 for a snsapi_base token; `origin` makes the default avatar's URL absolute. */
  async userInfo(query: Record<string, unknown>, origin: string): Promise<object> {
    const { user, scope } = this.checkToken(query.access_token, query.openid).fields;
    if (scope !== 'snsapi_userinfo') throw new PlatformError(48001, 'this access_token is of scope snsapi_base: authorize with scope=snsapi_userinfo for the nickname and avatar');
    const profile = await this.parts.profiles.get(user, origin);
    // Since 2021-10-20 the platform gives no sex or region.
    return { openid: openIdOf(user), nickname: profile.nickname, sex: 0, province: '', city: '', country: '', headimgurl: profile.avatarUrl, privilege: [] };
  }

  /** GET sns/auth?access_token&openid */
  async auth(query: Record<string, unknown>): Promise<object> {
    this.checkToken(query.access_token, query.openid);
    return OK;
  }

  private answer(granted: GrantFields, refreshToken: string): object {
    const accessToken = this.accessTokens.issue(granted, this.parts.now() + TOKEN_SECONDS * 1000).text;
    return { access_token: accessToken, expires_in: TOKEN_SECONDS, refresh_token: refreshToken, openid: openIdOf(granted.user), scope: granted.scope };
  }

  /** A web access token of this user: 41001 missing, 40001 not one, 42001 expired, 40003 another user's openid. */
  private checkToken(token: unknown, openId: unknown): Grant<GrantFields> {
    if (typeof token !== 'string' || token === '') throw new PlatformError(41001, 'add ?access_token= from sns/oauth2/access_token');
    const grant = this.accessTokens.verify(token);
    if (!grant) throw new PlatformError(40001, 'not a web access_token of this simulator: exchange a code at sns/oauth2/access_token (a /cgi-bin/token is not one)');
    if (grant.expiresAt <= this.parts.now()) throw new PlatformError(42001, 'refresh it with sns/oauth2/refresh_token');
    if (openId !== openIdOf(grant.fields.user)) throw new PlatformError(40003, 'openid must be the one this access_token was given for');
    return grant;
  }

  private authenticateAppId(appId: unknown): void {
    if (appId !== this.parts.credentials.appId) throw new PlatformError(40013, `the simulator was started with --appid ${this.parts.credentials.appId}`);
  }
}
