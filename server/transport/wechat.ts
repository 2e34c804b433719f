// The official-account server protocol on /wechat: signed XML in, a passive XML reply out, same chat service.
import express, { Router, type Request } from 'express';
import type { ChatService } from '../chat-service.ts';
import { AppError } from '../errors.ts';
import { MAX_BODY_BYTES, WECHAT_REPLY_DEADLINE_MS } from '../limits.ts';
import type { Logger } from '../logger.ts';
import { isValidId } from '../validation.ts';
import { passiveReplyXml, readPlatformMessage } from '../wechat/messages.ts';
import { isSigned } from '../wechat/signature.ts';

export type WechatOptions = {
  /** The token configured on the platform (WECHAT_TOKEN); without it /wechat is off. */
  token?: string;
  /** Where this server is reachable from outside, for absolute card URLs (default: the request's host). */
  publicUrl?: string;
  /** The EncodingAESKey (WECHAT_AES_KEY): with it, safe-mode and compatible-mode pushes are accepted. */
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

export function wechatRoutes(service: ChatService, options: WechatOptions, logger: Logger): Router {
  const router = Router();
  const deadlineMs = options.deadlineMs ?? WECHAT_REPLY_DEADLINE_MS;

  const checkSignature = (req: Request) => {
    if (!options.token) throw new AppError('not_found', 'The WeChat endpoint is off: set WECHAT_TOKEN to the token configured on the platform.');
    if (!isSigned(req.query, options.token)) throw new AppError('unauthorized', 'The signature does not match the configured token.');
  };

  // URL verification: the platform checks that the server knows the token.
  router.get('/wechat', (req, res) => {
    checkSignature(req);
    res.type('text/plain').send(typeof req.query.echostr === 'string' ? req.query.echostr : '');
  });

  router.post('/wechat', express.text({ type: () => true, limit: MAX_BODY_BYTES }), async (req, res) => {
    checkSignature(req);
    const message = readPlatformMessage(typeof req.body === 'string' ? req.body : '');
    if (!isValidId(message.openId)) throw new AppError('bad_request', 'FromUserName: not a valid user id.');
    const reply = (body: Parameters<typeof passiveReplyXml>[0]) =>
      res.type('application/xml').send(
        passiveReplyXml(body, {
          openId: message.openId,
          accountId: message.accountId,
          maxCards: message.userSent ? MAX_CARDS_FOR_MESSAGES : MAX_CARDS_FOR_EVENTS,
          baseUrl: options.publicUrl ?? `${req.protocol}://${req.get('host')}`,
          now: new Date(),
        }),
      );
    if (message.kind === 'view') return reply(undefined); // a menu link opened: nothing to say
    if (message.kind === 'unsupported') return reply({ type: 'text', text: UNSUPPORTED_REPLY });

    const answer = service.receive(message.openId, { ...message.inbound, clientId: message.retryKey.slice(0, 64) });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
    try {
      const outcome = await Promise.race([answer, late]);
      // Too slow for a passive reply: say `success`; the answer is still stored, and a retry gets it at once.
      if (outcome === 'late') return reply(undefined);
      // A passive reply carries one message; the rest are in the history.
      return reply(outcome.replies[0] as Parameters<typeof passiveReplyXml>[0]);
    } catch (err) {
      if (err instanceof AppError && err.code !== 'internal' && err.code !== 'storage_unavailable') {
        return reply({ type: 'text', text: err.message });
      }
      throw err;
    } finally {
      clearTimeout(timer);
      answer.catch((err: unknown) => logger.warn({ err }, 'a late WeChat answer failed'));
    }
  });

  return router;
}
