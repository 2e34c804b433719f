// The simulator's own side of WeChat Pay, for the chat window, the developer panel and the SDK: paying an order
// as a chat user (the pay sheet's Pay, a scanned code_url, a test script without a browser) and the switch that
// makes the next payment fail. A payment that fails is an answer (`ok: false` and the reason), not an HTTP error.
import { Router } from 'express';
import { AppError } from '../core/errors.ts';
import { parseId } from '../core/validation.ts';
import { PayError } from '../pay/pay-errors.ts';
import type { WechatPay } from '../pay/wechat-pay.ts';
import type { PayReference } from '../pay/payments.ts';
import { transactionOf } from '../pay/orders.ts';

/** The prepay_id or code_url a request names. */
export function payReference(body: Record<string, unknown>): PayReference {
  if (typeof body.prepay_id === 'string' && body.prepay_id) return { prepayId: body.prepay_id };
  if (typeof body.code_url === 'string' && body.code_url) return { codeUrl: body.code_url };
  throw new AppError('bad_request', 'Name the order to pay with prepay_id (JSAPI) or code_url (Native).');
}

/** A PayError as the chat window shows it. */
export const payFailure = (err: unknown) => {
  if (err instanceof PayError) return { ok: false as const, error: { code: err.code, message: err.message } };
  throw err;
};

/**
 * GET /api/pay/status → { enabled, failNext }: whether the simulator plays WeChat Pay, and the developer panel's
 * switch. Served with WeChat Pay off too, so the chat window asks without a 404.
 */
export function payStatusRoute(pay: WechatPay | undefined): Router {
  const router = Router();
  router.get('/api/pay/status', async (_req, res) => {
    res.json({ enabled: pay !== undefined, failNext: pay ? await pay.payments.failsNext() : false });
  });
  return router;
}

export function payApiRoutes(pay: WechatPay): Router {
  const router = Router();

  /** POST /api/pay/payments { userId, prepay_id | code_url }: the user pays, as if they tapped Pay. */
  router.post('/api/pay/payments', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const userId = parseId(body.userId, 'userId');
    const reference = payReference(body);
    try {
      const order = await pay.pay(reference, userId);
      res.json({ ok: true, transaction: transactionOf(order) });
    } catch (err) {
      res.json(payFailure(err));
    }
  });

  /**
   * POST /api/pay/sheets { userId, appId, timeStamp, nonceStr, package, signType, paySign } (what a page's
   * getBrandWCPayRequest carries) or { userId, code_url } (a scan): opens the user's pay sheet → { ok, sheet }.
   */
  router.post('/api/pay/sheets', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const userId = parseId(body.userId, 'userId');
    const request = typeof body.code_url === 'string' ? { code_url: body.code_url } : body;
    try {
      res.json({ ok: true, sheet: await pay.openSheet(userId, request) });
    } catch (err) {
      res.json(payFailure(err));
    }
  });

  /** GET /api/pay/sheets/:userId: the user's sheet, open or answered (404 when there is none). */
  router.get('/api/pay/sheets/:userId', async (req, res) => {
    const sheet = await pay.sheets.get(parseId(req.params.userId, 'userId'));
    if (!sheet) throw new AppError('not_found', 'No pay sheet is open for this user.');
    res.json({ sheet });
  });

  /** POST /api/pay/sheets/:userId/pay and …/cancel: Pay or Cancel on the open sheet → { ok, sheet } with its outcome. */
  for (const answer of ['pay', 'cancel'] as const) {
    router.post(`/api/pay/sheets/:userId/${answer}`, async (req, res) => {
      const userId = parseId(req.params.userId, 'userId');
      try {
        res.json({ ok: true, sheet: await pay.answerSheet(userId, answer) });
      } catch (err) {
        res.json(payFailure(err));
      }
    });
  }

  /** PUT /api/pay/fail-next { on }: whether the next payment fails as an empty balance does. */
  router.put('/api/pay/fail-next', async (req, res) => {
    const on = (req.body as { on?: unknown } | undefined)?.on;
    if (typeof on !== 'boolean') throw new AppError('bad_request', 'Send { "on": true } or { "on": false }.');
    await pay.payments.failNext(on);
    res.json({ on });
  });

  router.get('/api/pay/public-key', (_req, res) => {
    res.json(pay.publicKey());
  });

  return router;
}
