// The `wechat` package (node-webot) ships no types; the tests use only its middleware factory.
declare module 'wechat' {
  import type { RequestHandler } from 'express';
  function wechat(token: string, handler: (req: any, res: any, next: () => void) => void): RequestHandler;
  export default wechat;
}
