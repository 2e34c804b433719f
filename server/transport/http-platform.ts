// HTTP adapter for the platform API under /cgi-bin/: the platform's answers, always HTTP 200 and JSON (a
// client library treats any other status as a network failure), every call reported to the developer panel.
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { readOneFile } from './multipart.ts';
import type { ChatService } from '../core/chat-service.ts';
import { toAppError } from '../core/errors.ts';
import type { Logger } from '../logger.ts';
import { MEDIA_LIMITS } from '../media.ts';
import type { RateLimits } from '../core/rate-limits.ts';
import { errorAnswer, OK, PlatformError, type ErrorAnswer } from '../platform/errors.ts';
import { uploadType } from '../platform/media.ts';
import { machineIps } from '../platform/ip-lists.ts';
import type { Platform } from '../platform/platform.ts';
import { redactBody, redactUrl } from '../platform/redact.ts';
import { bodyRefusal } from './http-errors.ts';

export type Call = { query: Record<string, unknown>; body: unknown; req: Request; res: Response };
/** One call: its method, whether it needs a /cgi-bin/token access_token, and what answers it. */
export type Route = { method: 'GET' | 'POST'; token: boolean; run: (call: Call) => Promise<object> };
type Bytes = { bytes: Buffer; contentType: string; filename?: string };

// Menus, templates and messages are small; this leaves room for long articles and nothing more.
const MAX_JSON = '1mb';

export type PlatformRouteOptions = {
  platform: Platform;
  service: ChatService;
  limits: RateLimits;
  logger: Logger;
  /** Why a call is refused before anything else (a Host this server does not answer to, a page of another site). */
  refusal?: (req: Request) => string | undefined;
};

/** The platform API's routes, to be mounted at /cgi-bin before the server's own address limit and body parser. */
export function platformRoutes(options: PlatformRouteOptions): Router {
  const { platform } = options;
  return platformApi('/cgi-bin', options, {
    token: { method: 'GET', token: false, run: ({ query }) => platform.token(query) },
    stable_token: { method: 'POST', token: false, run: ({ body }) => platform.stableToken(objectBody(body)) },
    'message/custom/send': { method: 'POST', token: true, run: ({ body }) => platform.customSend(objectBody(body)) },
    'message/custom/typing': { method: 'POST', token: true, run: ({ body }) => platform.customTyping(objectBody(body)) },
    'menu/create': { method: 'POST', token: true, run: ({ body }) => platform.menuCreate(objectBody(body)) },
    'menu/get': { method: 'GET', token: true, run: () => platform.menuGet() },
    'menu/delete': { method: 'GET', token: true, run: () => platform.menuDelete() },
    'message/template/send': { method: 'POST', token: true, run: ({ body }) => platform.templateSend(objectBody(body)) },
    'user/info': { method: 'GET', token: true, run: ({ query }) => platform.userInfo(query) },
    'user/get': { method: 'GET', token: true, run: ({ query }) => platform.followerList.get(query) },
    'user/info/batchget': { method: 'POST', token: true, run: ({ body }) => platform.followerList.batchget(objectBody(body)) },
    'user/info/updateremark': { method: 'POST', token: true, run: ({ body }) => done(platform.followerList.updateRemark(objectBody(body))) },
    'tags/create': { method: 'POST', token: true, run: ({ body }) => platform.tags.create(objectBody(body)) },
    'tags/get': { method: 'GET', token: true, run: () => platform.tags.get() },
    'tags/update': { method: 'POST', token: true, run: ({ body }) => done(platform.tags.update(objectBody(body))) },
    'tags/delete': { method: 'POST', token: true, run: ({ body }) => done(platform.tags.delete(objectBody(body))) },
    'tags/members/batchtagging': { method: 'POST', token: true, run: ({ body }) => done(platform.tags.tag(objectBody(body))) },
    'tags/members/batchuntagging': { method: 'POST', token: true, run: ({ body }) => done(platform.tags.untag(objectBody(body))) },
    'tags/getidlist': { method: 'POST', token: true, run: ({ body }) => platform.tags.idList(objectBody(body)) },
    'user/tag/get': { method: 'POST', token: true, run: ({ body }) => platform.tags.members(objectBody(body)) },
    'qrcode/create': { method: 'POST', token: true, run: ({ body, req }) => platform.qrcodeCreate(objectBody(body), `${req.protocol}://${req.get('host') ?? 'localhost'}`) },
    'media/uploadnews': { method: 'POST', token: true, run: ({ body }) => platform.news.upload(objectBody(body)) },
    'message/mass/sendall': { method: 'POST', token: true, run: ({ body }) => platform.mass.sendAll(objectBody(body)) },
    'message/mass/send': { method: 'POST', token: true, run: ({ body }) => platform.mass.send(objectBody(body)) },
    'message/mass/preview': { method: 'POST', token: true, run: ({ body }) => platform.mass.preview(objectBody(body)) },
    'message/mass/get': { method: 'POST', token: true, run: ({ body }) => platform.mass.get(objectBody(body)) },
    'message/mass/delete': { method: 'POST', token: true, run: ({ body }) => done(platform.mass.delete(objectBody(body))) },
    getcallbackip: { method: 'GET', token: true, run: async () => machineIps() },
    get_api_domain_ip: { method: 'GET', token: true, run: async () => machineIps() },
    'template/get_all_private_template': { method: 'GET', token: true, run: () => platform.templates.all() },
    'template/del_private_template': { method: 'POST', token: true, run: ({ body }) => done(platform.templates.delete(objectBody(body))) },
    'media/upload': { method: 'POST', token: true, run: (call) => upload(call, platform) },
    'media/get': { method: 'GET', token: true, run: ({ query }) => platform.mediaGet(query) },
    'ticket/getticket': { method: 'GET', token: true, run: ({ query }) => platform.web().tickets.get(query.type) },
  });
}

/**
 * Routes of the platform's API mounted at `mount` (/cgi-bin, /sns), answered as the platform answers them:
 * HTTP 200 and JSON, every call reported to the developer panel.
 */
export function platformApi(mount: string, { platform, service, limits, logger, refusal: refuseFirst = () => undefined }: PlatformRouteOptions, routes: Record<string, Route>): Router {
  /** Reports a call to the developer panel and the debug log, and answers it. */
  const answer = (req: Request, res: Response, body: unknown, result: object | Bytes | ErrorAnswer) => {
    const outcome = 'errcode' in result && typeof result.errcode === 'number' ? (result as ErrorAnswer) : { errcode: 0, errmsg: 'ok' };
    const call = { at: new Date().toISOString(), method: req.method, path: redactUrl(req.originalUrl), body: redactBody(body), errcode: outcome.errcode, errmsg: outcome.errmsg };
    service.reportApiCall(call).catch((err: unknown) => logger.warn({ err }, 'a platform API call could not be kept for the developer panel'));
    logger.debug({ apiCall: call }, 'platform API call');
    if ('bytes' in result && Buffer.isBuffer(result.bytes)) {
      // The name first: attachment() sets a type from the name's extension, and the bytes' detected type must win.
      if (result.filename) res.attachment(result.filename);
      res.type(result.contentType);
      res.send(result.bytes);
    } else {
      res.status(200).json(result);
    }
  };

  const refusal = (req: Request, err: unknown): ErrorAnswer => {
    if (err instanceof PlatformError) return errorAnswer(err);
    // Our own refusals (storage unavailable, shutting down) keep their message; the platform calls them all -1, system error.
    const known = toAppError(err);
    if (known.code !== 'internal') return errorAnswer(new PlatformError(-1, known.message));
    (req.log ?? logger).error({ err }, 'platform API call failed');
    return errorAnswer(new PlatformError(-1));
  };

  // A caller without a valid token pays the per-address limit (guessing secrets and tokens is slow);
  // one with a token is the server under test, which all comes from one address: the platform's own rules apply.
  const chargeAddress = async (req: Request) => {
    await limits.address(req.ip ?? 'unknown').catch(() => {
      throw new PlatformError(45011, 'too many calls without a valid access_token from this address');
    });
  };

  const handle: RequestHandler = async (req, res) => {
    const name = req.path.replace(/^\/+|\/+$/g, '');
    try {
      const route = Object.hasOwn(routes, name) ? routes[name]! : undefined;
      if (!route) throw new PlatformError(48001, `the simulator does not provide ${mount}/${name}`);
      if (req.method !== route.method) throw new PlatformError(route.method === 'GET' ? 43001 : 43002);
      if (route.token) {
        await platform.authorize(req.query.access_token).catch(async (err: unknown) => {
          await chargeAddress(req);
          throw err;
        });
      } else {
        await chargeAddress(req);
      }
      // A POST without a body is the platform's 44002, not an empty object.
      const empty = !req.headers['transfer-encoding'] && (req.headers['content-length'] ?? '0') === '0';
      const result = await route.run({ query: req.query, body: empty ? undefined : req.body, req, res });
      answer(req, res, reported(req), result);
    } catch (err) {
      answer(req, res, reported(req), refusal(req, err));
    }
  };

  // Body-parser refusals (too large, not JSON, a charset it does not read) become the platform's "data format error", still as HTTP 200.
  const bodyErrors: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const refused = bodyRefusal(err);
    const detail = refused?.code === 'too_large' ? `the body is larger than ${MAX_JSON}` : refused?.message;
    answer(req, res, undefined, refused ? errorAnswer(new PlatformError(47001, detail)) : refusal(req, err));
  };

  // Answered in the platform's shape, HTTP 200 as always, so client libraries show the developer the reason.
  const guard: RequestHandler = (req, res, next) => {
    const reason = refuseFirst(req);
    if (reason) answer(req, res, undefined, errorAnswer(new PlatformError(48001, reason)));
    else next();
  };

  const router = Router();
  router.use(guard);
  // Any content type but multipart is read as JSON: some client libraries post JSON without saying so.
  router.use(express.json({ limit: MAX_JSON, type: (req) => !String(req.headers['content-type'] ?? '').startsWith('multipart/') }));
  router.use(handle);
  router.use(bodyErrors);
  return router;
}

/** What the developer panel shows as a call's body: the JSON, or the uploaded file's name and size. */
function reported(req: Request): unknown {
  if (req.file) return { media: { filename: req.file.originalname, size: req.file.size, contentType: req.file.mimetype } };
  return req.body;
}

/** A call that answers nothing but success. */
async function done(work: Promise<void>): Promise<object> {
  await work;
  return OK;
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) throw new PlatformError(44002, 'post a JSON object');
  if (typeof body !== 'object' || Array.isArray(body)) throw new PlatformError(47001, 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

/** media/upload: the type first (40004), then the multipart field `media`, read up to that type's size limit. */
async function upload({ query, req, res }: Call, platform: Platform): Promise<object> {
  platform.requireConfigured();
  const type = uploadType(query.type);
  const refusal = await readOneFile(req, res, { field: 'media', maxBytes: MEDIA_LIMITS[type].maxBytes, fields: 10 });
  if (refusal?.reason === 'too_large') throw new PlatformError(MEDIA_LIMITS[type].tooBigErrcode, `a ${type} may be at most ${MEDIA_LIMITS[type].maxBytes / 1024} KiB`);
  if (refusal) throw new PlatformError(41005, `send one file as the multipart field "media" (${refusal.message})`);
  return platform.mediaUpload(type, req.file);
}
