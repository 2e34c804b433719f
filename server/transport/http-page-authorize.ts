// POST /api/pages/authorize: web authorization inside the in-app browser. The chat window calls it when its
// frame reaches the authorize page on a pages host (pages/authorize-address.ts), for the user of its own chat:
// the user comes from the chat window, never from the page's URL, whose user= and consent= are ignored, and
// the consent comes from the sheet the chat window shows, which the page cannot reach.
import { Router } from 'express';
import type { PageAuthorizeAnswer } from '../contract.ts';
import type { ChatService } from '../core/chat-service.ts';
import { AppError } from '../core/errors.ts';
import { parseId } from '../core/validation.ts';
import type { Logger } from '../logger.ts';
import { AUTHORIZE_PATH } from '../pages/authorize-address.ts';
import { labelOf, pagesUrlOf } from '../pages/page-hosts.ts';
import type { PageOrigins } from '../pages/page-origins.ts';
import { decideAuthorize } from '../platform/authorize-request.ts';
import { PlatformError } from '../platform/errors.ts';
import type { Platform } from '../platform/platform.ts';
import { reportAuthorize } from './http-authorize.ts';
import { originOf } from './http-sns.ts';

export type PageAuthorizeOptions = { platform: Platform; service: ChatService; origins: PageOrigins; domain: string; logger: Logger };

/** An authorize URL's query is short; WeChat's own limits are far below this. */
const MAX_QUERY = 4096;
const portOf = (host: string | undefined) => Number(/:(\d+)$/.exec(host ?? '')?.[1] ?? 80);

export function pageAuthorizeRoutes({ platform, service, origins, domain, logger }: PageAuthorizeOptions): Router {
  const router = Router();

  router.post('/api/pages/authorize', async (req, res) => {
    const body = (typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? req.body : {}) as Record<string, unknown>;
    const userId = parseId(body.userId, 'userId');
    if (typeof body.query !== 'string' || body.query.length > MAX_QUERY) throw new AppError('bad_request', `query: the authorize page's location.search is needed (at most ${MAX_QUERY} characters).`);
    const { consent } = body;
    if (consent !== undefined && consent !== 'allow' && consent !== 'deny') throw new AppError('bad_request', 'consent: must be "allow" or "deny" when given.');
    // Only the chat window names the user and answers the sheet: the page's own say in these is dropped.
    const params = new URLSearchParams(body.query);
    params.delete('user');
    params.delete('consent');
    const asked = `${AUTHORIZE_PATH}?${params}&user=${encodeURIComponent(userId)}${consent ? `&consent=${consent}` : ''}`;
    const answer = (value: PageAuthorizeAnswer) => {
      reportAuthorize(service, logger, 'GET', asked, value.next === 'refused' ? value : undefined);
      res.set('Cache-Control', 'no-store').json(value);
    };

    let web;
    try {
      web = platform.web();
    } catch (err) {
      if (!(err instanceof PlatformError)) throw err;
      return answer({ next: 'refused', errcode: err.errcode, message: err.detail ?? err.message });
    }
    const parsed = web.authorizeRequest(Object.fromEntries(params));
    if (!parsed.ok) return answer({ next: 'refused', ...parsed.refusal });
    const { request } = parsed;
    const decision = decideAuthorize(request, consent, (scope) => web.issueCode(userId, scope));
    if ('refusal' in decision) return answer({ next: 'refused', ...decision.refusal });
    if ('ask' in decision) {
      const { nickname, avatarUrl } = await platform.profiles.get(userId, originOf(req));
      return answer({ next: 'consent', account: service.account.name, host: new URL(request.redirectUri).host, nickname, avatarUrl });
    }
    const redirect = new URL(decision.redirect);
    const labelled = labelOf(redirect.origin);
    if (!('label' in labelled)) return answer({ next: 'refused', errcode: 10003, message: `redirect_uri ${request.redirectUri}: ${labelled.problem}` });
    // The redirect_uri is on the web authorization domain, which the developer set: the in-app browser may load it.
    if (!(await origins.allows(redirect.origin))) await origins.approve(redirect.origin);
    answer({ next: 'load', url: pagesUrlOf(redirect, labelled.label, { domain, port: portOf(req.headers.host) }) });
  });

  return router;
}
