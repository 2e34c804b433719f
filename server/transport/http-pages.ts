// The in-app browser's routes on the simulator's own origin, called only by the chat window: open a link
// (POST /api/pages) and check a page's wx.config (POST /api/jsapi/verify).
import { Router } from 'express';
import type { ChatService } from '../core/chat-service.ts';
import { AppError } from '../core/errors.ts';
import { parseId } from '../core/validation.ts';
import { labelOf, originalUrlOf, pagesUrlOf } from '../pages/page-hosts.ts';
import { LINKS_LOOK_BACK, namedOrigins } from '../pages/page-links.ts';
import type { PageOrigins } from '../pages/page-origins.ts';
import type { JsConfigCheck } from '../pages/js-config-check.ts';

export type PagesRoutesOptions = { service: ChatService; origins: PageOrigins; domain: string; checkJsConfig: JsConfigCheck };

const portOf = (host: string | undefined) => Number(/:(\d+)$/.exec(host ?? '')?.[1] ?? 80);

function bodyOf(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AppError('bad_request', 'The body must be a JSON object.');
  return body as Record<string, unknown>;
}

export function pagesRoutes({ service, origins, domain, checkJsConfig }: PagesRoutesOptions): Router {
  const router = Router();

  // { userId, url } → { url, origin }: where the in-app browser loads `url`, once the origin is one the server named.
  router.post('/api/pages', async (req, res) => {
    const body = bodyOf(req.body);
    const userId = parseId(body.userId, 'userId');
    if (typeof body.url !== 'string' || !URL.canParse(body.url)) throw new AppError('bad_request', 'url: must be an absolute http(s) URL.');
    const url = new URL(body.url);
    const labelled = labelOf(url.origin);
    if (!('label' in labelled)) throw new AppError('bad_request', `url: ${labelled.problem}.`);
    if (!(await origins.allows(url.origin))) {
      const history = (await service.history(userId, { limit: LINKS_LOOK_BACK })) ?? [];
      if (!namedOrigins(history, service.account.menu).has(url.origin)) {
        throw new AppError('page_not_allowed', `${url.origin} is neither the server under test nor named in its menu or its recent messages to ${userId}, so the simulator does not fetch it; open it in a browser instead.`);
      }
      await origins.approve(url.origin);
    }
    const pages = { domain, port: portOf(req.headers.host) };
    const pageUrl = pagesUrlOf(url, labelled.label, pages);
    res.json({ url: pageUrl, origin: new URL(pageUrl).origin });
  });

  // What jweixin's preVerifyJSAPI carries, and the page's URL as it sees it → { errMsg, jsApiList? }.
  router.post('/api/jsapi/verify', async (req, res) => {
    const body = bodyOf(req.body);
    if (typeof body.url !== 'string') throw new AppError('bad_request', 'url: the page\'s location.href is needed.');
    const original = originalUrlOf(body.url, domain);
    if (!original) throw new AppError('bad_request', `url: ${JSON.stringify(body.url)} is not a page of the in-app browser.`);
    const result = await checkJsConfig({ appId: body.appId, timestamp: body.timestamp, nonceStr: body.nonceStr, signature: body.signature, jsApiList: body.jsApiList }, { original: original.href, asSeen: body.url });
    res.json(result.ok ? { errMsg: 'config:ok', jsApiList: result.jsApiList } : { errMsg: result.errMsg, detail: result.detail });
  });

  return router;
}
