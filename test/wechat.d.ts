// The `wechat` package (node-webot) ships no types; the tests use only its middleware factory.
declare module 'wechat' {
  import type { RequestHandler } from 'express';
  function wechat(token: string, handler: (req: any, res: any, next: () => void) => void): RequestHandler;
  export default wechat;
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
