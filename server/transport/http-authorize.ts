// GET /connect/oauth2/authorize: WeChat's authorize page on the simulator's origin, where the address client
// libraries build (https://open.weixin.qq.com/connect/oauth2/authorize?…) is sent too. For scripts,
// &user=<userId> answers the redirect at once for snsapi_base, and with &consent=allow|deny for
// snsapi_userinfo; otherwise the simulator's page asks who is signing in, or shows the consent sheet.
import express, { Router, type Request, type Response } from 'express';
import type { ChatService } from '../core/chat-service.ts';
import type { Logger } from '../logger.ts';
import { redirectTo, type AuthorizeRefusal } from '../platform/authorize-request.ts';
import { PlatformError } from '../platform/errors.ts';
import type { Platform } from '../platform/platform.ts';
import { redactUrl } from '../platform/redact.ts';
import { isValidId } from '../schemas.ts';
import { chooseUserPage, consentPage, errorPage } from './authorize-page.ts';
import { originOf } from './http-sns.ts';

export const AUTHORIZE_PATH = '/connect/oauth2/authorize';

type Answer = { redirect: string } | { page: string } | { refusal: AuthorizeRefusal };

export function authorizeRoutes(platform: Platform, service: ChatService, logger: Logger): Router {
  /** Decides what the page does with the request's parameters; `consent` is the sheet's answer (query for scripts, body for the form). */
  const decide = async (req: Request, query: Record<string, unknown>, consent: unknown): Promise<Answer> => {
    let web;
    try {
      web = platform.web();
    } catch (err) {
      return { refusal: { errcode: (err as PlatformError).errcode, message: (err as PlatformError).detail ?? '' } };
    }
    const parsed = web.authorizeRequest(query);
    if (!parsed.ok) return { refusal: parsed.refusal };
    const { request } = parsed;
    const user = query.user;
    if (user === undefined || user === '') return { page: chooseUserPage(request) };
    if (!isValidId(user)) return { refusal: { errcode: 10008, message: 'user must be a chat user id: 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-"' } };
    if (request.scope === 'snsapi_base') return { redirect: redirectTo(request, web.issueCode(user, request.scope)) };
    if (consent === 'allow') return { redirect: redirectTo(request, web.issueCode(user, request.scope)) };
    if (consent === 'deny') return { redirect: redirectTo(request) };
    if (consent !== undefined && consent !== '') return { refusal: { errcode: 10008, message: 'consent must be allow or deny' } };
    const { nickname } = await platform.profiles.get(user, originOf(req));
    return { page: consentPage(request, user, nickname) };
  };

  const respond = (req: Request, res: Response, query: Record<string, unknown>, answer: Answer) => {
    const refusal = 'refusal' in answer ? answer.refusal : undefined;
    const call = { at: new Date().toISOString(), method: req.method, path: redactUrl(req.originalUrl), errcode: refusal?.errcode ?? 0, errmsg: refusal?.message ?? 'ok' };
    service.reportApiCall(call).catch((err: unknown) => logger.warn({ err }, 'an authorize request could not be kept for the developer panel'));
    // A code is for one use: nothing on the way may keep a copy.
    res.set('Cache-Control', 'no-store');
    if ('redirect' in answer) return res.redirect(302, answer.redirect);
    res.set('Content-Security-Policy', pagePolicy(query.redirect_uri));
    if ('page' in answer) return res.type('html').send(answer.page);
    res.status(400).type('html').send(errorPage(answer.refusal));
  };

  const router = Router();
  router.get(AUTHORIZE_PATH, async (req, res) => respond(req, res, req.query, await decide(req, req.query, req.query.consent)));
  router.post(AUTHORIZE_PATH, express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    // The form sends the request's parameters as fields; they are checked as the query would be.
    const fields = (req.body ?? {}) as Record<string, unknown>;
    const query = { ...fields, user: req.query.user };
    respond(req, res, query, await decide(req, query, fields.consent ?? 'missing'));
  });
  return router;
}

/**
 * No script, style or image of any origin; forms may go to this page and on to the redirect_uri's origin
 * (browsers check a form's redirects against form-action too).
 */
function pagePolicy(redirectUri: unknown): string {
  const redirect = typeof redirectUri === 'string' && URL.canParse(redirectUri) ? new URL(redirectUri).origin : undefined;
  const formAction = ["'self'", ...(redirect && /^https?:/.test(redirect) ? [redirect] : [])].join(' ');
  return `default-src 'none'; base-uri 'none'; form-action ${formAction}; frame-ancestors 'self'`;
}
