// The `wechat` package (node-webot) and its `wechat-crypto` ship no types; the tests use only these.
declare module 'wechat' {
  import type { RequestHandler } from 'express';
  type Config = string | { token: string; appid?: string; encodingAESKey?: string };
  function wechat(config: Config, handler: (req: any, res: any, next: () => void) => void): RequestHandler;
  export default wechat;
}

declare module 'wechat-crypto' {
  export default class WXBizMsgCrypt {
    constructor(token: string, encodingAESKey: string, id: string);
    getSignature(timestamp: string | number, nonce: string | number, encrypt: string): string;
    encrypt(text: string): string;
    decrypt(text: string): { message: string; id: string };
  }
}

// co-wechat-api (node-webot) ships no types either; the platform API tests use these of its methods.
declare module 'co-wechat-api' {
  type Token = { accessToken: string; expireTime: number } | null;
  class API {
    constructor(appid: string, secret: string, getToken?: () => Promise<Token>, saveToken?: (token: Token) => Promise<void>);
    prefix: string;
    static AccessToken: new (accessToken: string, expireTime: number) => { accessToken: string; expireTime: number };
    getAccessToken(): Promise<{ accessToken: string; expireTime: number }>;
    [method: string]: any;
  }
  export default API;
}

// wechat-api (node-webot, callbacks) ships no types; the token tests use these of its methods.
declare module 'wechat-api' {
  type Callback = (err: (Error & { code?: number }) | null, data?: any) => void;
  class API {
    constructor(appid: string, secret: string);
    endpoint: string;
    getLatestToken(callback: (err: Error | null, token: { accessToken: string; expireTime: number }) => void): void;
    createMenu(menu: object, callback: Callback): void;
    getMenu(callback: Callback): void;
    mpPrefix: string;
    [method: string]: any;
  }
  export default API;
}

// wechat-oauth (node-webot, callbacks) ships no types; the web authorization tests use these of its methods.
declare module 'wechat-oauth' {
  type Callback<T = any> = (err: (Error & { code?: number }) | null, data: T) => void;
  class OAuth {
    constructor(appid: string, secret: string);
    request(url: string, opts: object, callback: Callback): void;
    getAuthorizeURL(redirect: string, state?: string, scope?: string): string;
    getAccessToken(code: string, callback: Callback<{ data: { access_token: string; refresh_token: string; openid: string; scope: string } }>): void;
    refreshAccessToken(refreshToken: string, callback: Callback<{ data: { access_token: string; openid: string } }>): void;
    getUser(options: string | { openid: string; lang?: string }, callback: Callback): void;
    verifyToken(openid: string, accessToken: string, callback: Callback): void;
  }
  export default OAuth;
}

// wechat-jssdk ships no types; the JS-SDK tests use its JSSDK (server side) and the in-memory Store.
declare module 'wechat-jssdk' {
  export class Store {}
  export class JSSDK {
    constructor(options: Record<string, unknown>);
    getSignature(url: string, forceNewSignature?: boolean): Promise<{ appId: string; nonceStr: string; timestamp: string; signature: string; url: string }>;
  }
}
