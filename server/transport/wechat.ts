// The official-account server protocol on /wechat: signed XML in, a passive XML reply out, same chat service.
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { ChatService } from '../core/chat-service.ts';
import { AppError } from '../core/errors.ts';
import { MAX_BODY_BYTES, WECHAT_REPLY_DEADLINE_MS } from '../limits.ts';
import type { Logger } from '../logger.ts';
import type { RateLimits } from '../core/rate-limits.ts';
import { isValidId } from '../core/validation.ts';
import type { Outbound } from '../contract.ts';
import { passiveReplyXml, readPlatformMessage } from '../wechat/messages.ts';
import { isEncryptedPush, openPush, sealReply, type SafeModeKeys } from '../wechat/safe-mode.ts';
import { isSigned } from '../wechat/signature.ts';

export type WechatOptions = {
  /** The token configured on the platform (WECHAT_TOKEN); without it /wechat is off. */
  token?: string;
  /** Where this server is reachable from outside, for absolute card URLs (default: the request's host). */
  publicUrl?: string;
  /**
   * The EncodingAESKey (WECHAT_AES_KEY): with it (and appId), safe-mode and compatible-mode pushes are accepted
   * and answered encrypted. Plaintext pushes are still accepted: the mode is the platform's setting.
   */
  aesKey?: string;
  /** The account's appid (WECHAT_APPID), checked at the end of every decrypted message. */
  appId?: string;
  /** How long to wait for an answer before saying `success` (WECHAT_REPLY_DEADLINE_MS by default). */
  deadlineMs?: number;
};

// The platform shows news sent in reply to a user's message as one card; events may carry up to 8.
const MAX_CARDS_FOR_MESSAGES = 1;
const MAX_CARDS_FOR_EVENTS = 8;
const UNSUPPORTED_REPLY = 'Sorry, I can only read text for now. Send a keyword, a question, or "help".';

/** Whether an error is a refusal meant for the user (answered as text) rather than a failure of ours. */
const isRefusal = (err: unknown): err is AppError => err instanceof AppError && err.code !== 'internal' && err.code !== 'storage_unavailable';

/**
 * The whole /wechat endpoint, usable on its own: the signature (checked once: a signed request is limited per
 * user by the service, any other per address, as the rest of the server), echostr, safe mode and the deadline.
 */
export function wechatEndpoint(service: ChatService, options: WechatOptions, logger: Logger, limits?: Pick<RateLimits, 'address'>): Router {
  const router = Router();
  const deadlineMs = options.deadlineMs ?? WECHAT_REPLY_DEADLINE_MS;
  const keys: SafeModeKeys | undefined =
    options.token && options.aesKey && options.appId ? { token: options.token, aesKey: options.aesKey, appId: options.appId } : undefined;

  const requireToken = (): string => {
    if (!options.token) throw new AppError('not_found', 'The WeChat endpoint is off: set WECHAT_TOKEN to the token configured on the platform.');
    return options.token;
  };
  const checkSignature = (res: Response) => {
    requireToken();
    if (res.locals.signed !== true) throw new AppError('unauthorized', 'The signature does not match the configured token.');
  };
  /** The message XML of a push: checked with `signature` in plaintext mode, opened with msg_signature in safe and compatible mode. */
  const openMessage = (req: Request, res: Response): { xml: string; encrypted: boolean } => {
    const body = typeof req.body === 'string' ? req.body : '';
    if (!isEncryptedPush(req.query)) {
      checkSignature(res);
      return { xml: body, encrypted: false };
    }
    requireToken();
    if (!keys) throw new AppError('bad_request', 'A safe-mode push (encrypt_type=aes): set WECHAT_AES_KEY and WECHAT_APPID to the values on the platform.');
    return { xml: openPush(req.query, body, keys), encrypted: true };
  };

  // The platform posts every user's messages from its own servers: signed requests are not charged to its address.
  const admit: RequestHandler = (req, res, next) => {
    res.locals.signed = !!options.token && isSigned(req.query, options.token);
    if (res.locals.signed || !limits) return next();
    limits.address(req.ip ?? 'unknown').then(() => next(), next);
  };

  // URL verification: the platform checks that the server knows the token (plain `signature` in every mode).
  router.get('/wechat', admit, (req, res) => {
    checkSignature(res);
    res.type('text/plain').send(typeof req.query.echostr === 'string' ? req.query.echostr : '');
  });

  router.post('/wechat', admit, express.text({ type: () => true, limit: MAX_BODY_BYTES }), async (req, res) => {
    const { xml, encrypted } = openMessage(req, res);
    const message = readPlatformMessage(xml);
    if (!isValidId(message.openId)) throw new AppError('bad_request', 'FromUserName: not a valid user id.');
    const reply = (body: Outbound | undefined) => {
      const now = new Date();
      const passive = passiveReplyXml(body, {
        openId: message.openId,
        accountId: message.accountId,
        maxCards: message.userSent ? MAX_CARDS_FOR_MESSAGES : MAX_CARDS_FOR_EVENTS,
        baseUrl: options.publicUrl ?? `${req.protocol}://${req.get('host')}`,
        now,
      });
      // `success` means "nothing to say" in every mode; anything else goes back the way the push came.
      res.type('application/xml').send(encrypted && keys && passive !== 'success' ? sealReply(passive, keys, now) : passive);
    };
    if (message.kind === 'ignored') return reply(undefined);
    if (message.kind === 'unsupported') return reply({ type: 'text', text: UNSUPPORTED_REPLY });

    const answer = service.receive(message.openId, { ...message.inbound, clientId: message.retryKey.slice(0, 64) });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
    try {
      const outcome = await Promise.race([answer, late]);
      if (outcome === 'late') {
        // Too slow for a passive reply: say `success`; the answer is still stored, and a retry gets it at once.
        // A failure from here on has no one to answer, so it is logged (a refusal answered above is not).
        answer.catch((err: unknown) =>
          isRefusal(err)
            ? logger.warn({ err, openId: message.openId }, 'a WeChat message was refused after its deadline')
            : logger.error({ err, openId: message.openId }, 'a WeChat message failed after its deadline: the platform was told success'),
        );
        return reply(undefined);
      }
      // A passive reply carries one message; the rest are in the history.
      return reply(outcome.replies[0] as Outbound | undefined);
    } catch (err) {
      if (isRefusal(err)) return reply({ type: 'text', text: err.message });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  });

  return router;
}
