// HTTP adapter for WeChat Pay APIv3 under /v3/: every request's signature checked on its raw body before anything
// else, every answer (errors and 204s too) signed, every call reported to the developer panel and the log.
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { ChatService } from '../core/chat-service.ts';
import { toAppError } from '../core/errors.ts';
import type { Logger } from '../logger.ts';
import { PayError } from '../pay/pay-errors.ts';
import type { WechatPay } from '../pay/wechat-pay.ts';
import { bodyRefusal } from './http-errors.ts';

/** What a call answers: a status and a JSON body (none for 204). */
export type PayAnswer = { status: number; body?: object };
type Call = { params: Record<string, string>; query: Record<string, unknown>; body: unknown };
type Run = (call: Call) => Promise<PayAnswer> | PayAnswer;

// Orders and refunds are small; the platform's own limit is not published.
const MAX_BODY = '64kb';

export type PayRouteOptions = {
  pay: WechatPay;
  service: ChatService;
  logger: Logger;
  /** Why a request is refused before anything else (a Host this server does not answer to). */
  refusal?: (req: Request) => string | undefined;
};

/** The calls: method, path under /v3 (express syntax) and what answers it. */
function payCalls(pay: WechatPay): Array<{ method: 'GET' | 'POST'; path: string; run: Run }> {
  const ok = (body: object): PayAnswer => ({ status: 200, body });
  return [
    { method: 'GET', path: '/certificates', run: () => ok(pay.certificates()) },
    { method: 'POST', path: '/pay/transactions/jsapi', run: async ({ body }) => ok(await pay.placeJsapi(body)) },
    { method: 'POST', path: '/pay/transactions/native', run: async ({ body }) => ok(await pay.placeNative(body)) },
    { method: 'GET', path: '/pay/transactions/out-trade-no/:no', run: async ({ params, query }) => ok(await pay.query({ outTradeNo: params.no }, query.mchid)) },
    { method: 'GET', path: '/pay/transactions/id/:id', run: async ({ params, query }) => ok(await pay.query({ transactionId: params.id }, query.mchid)) },
    {
      method: 'POST',
      path: '/pay/transactions/out-trade-no/:no/close',
      run: async ({ params, body }) => {
        await pay.closeOrder(params.no!, body);
        return { status: 204 };
      },
    },
    { method: 'POST', path: '/refund/domestic/refunds', run: async ({ body }) => ok(await pay.refund(body)) },
    { method: 'GET', path: '/refund/domestic/refunds/:no', run: async ({ params }) => ok(await pay.queryRefund(params.no!)) },
  ];
}

/** The /v3 router, to be mounted before the server's own body parser. */
export function payRoutes({ pay, service, logger, refusal = () => undefined }: PayRouteOptions): Router {
  const answer = (req: Request, res: Response, { status, body }: PayAnswer) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.status(status).set(pay.sign(text));
    if (body === undefined) res.end();
    else res.type('application/json').send(text);
    const failed = status >= 400 ? (body as { code?: string; message?: string }) : undefined;
    const call = { at: new Date().toISOString(), method: req.method, path: req.originalUrl, body: parsedForReport(req.body), errcode: failed ? status : 0, errmsg: failed ? `${failed.code}: ${failed.message}` : 'ok' };
    service.reportApiCall(call).catch((err: unknown) => logger.warn({ err }, 'a WeChat Pay call could not be kept for the developer panel'));
    (req.log ?? logger).info({ payCall: { method: call.method, path: call.path, status, code: failed?.code } }, 'WeChat Pay call');
  };

  const failure = (req: Request, err: unknown): PayAnswer => {
    if (err instanceof PayError) return { status: err.status, body: err.body() };
    const known = toAppError(err);
    if (known.code === 'internal') (req.log ?? logger).error({ err }, 'WeChat Pay call failed');
    return { status: 500, body: { code: 'SYSTEM_ERROR', message: known.code === 'internal' ? '系统异常，请稍后重试' : known.message } };
  };

  const handler = (run: Run): RequestHandler => async (req, res) => {
    try {
      const raw = typeof req.body === 'string' ? req.body : '';
      pay.verify({ method: req.method, pathWithQuery: req.originalUrl, body: raw, authorization: req.headers.authorization });
      answer(req, res, await run({ params: req.params as Record<string, string>, query: req.query, body: parseBody(req.method, raw) }));
    } catch (err) {
      answer(req, res, failure(req, err));
    }
  };

  const router = Router();
  router.use((req, res, next) => {
    const reason = refusal(req);
    if (reason) answer(req, res, { status: 403, body: { code: 'NO_AUTH', message: reason } });
    else next();
  });
  // The raw text: the signature is over the body exactly as sent.
  router.use(express.text({ type: () => true, limit: MAX_BODY }));
  for (const { method, path, run } of payCalls(pay)) router[method === 'GET' ? 'get' : 'post'](path, handler(run));
  router.use((req, res) => answer(req, res, { status: 404, body: { code: 'NOT_FOUND', message: `the simulator does not provide ${req.method} ${req.originalUrl.split('?')[0]}` } }));
  const bodyErrors: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const refused = bodyRefusal(err);
    answer(req, res, refused ? { status: refused.code === 'too_large' ? 413 : 400, body: { code: 'PARAM_ERROR', message: refused.message } } : failure(req, err));
  };
  router.use(bodyErrors);
  return router;
}

/** A POST's JSON object; a GET has none. */
function parseBody(method: string, raw: string): unknown {
  if (method === 'GET') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new PayError(400, 'PARAM_ERROR', '请求体不是合法的JSON (the body is not JSON)');
  }
}

function parsedForReport(raw: unknown): unknown {
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw.slice(0, 200);
  }
}
