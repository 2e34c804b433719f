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
