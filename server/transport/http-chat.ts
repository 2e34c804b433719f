// HTTP adapter for chatting: POST and GET /api/messages, through the same chat service as Socket.IO.
import { Router } from 'express';
import type { ChatService } from '../core/chat-service.ts';
import { AppError } from '../core/errors.ts';
import { HISTORY_PAGE } from '../limits.ts';
import { parseId } from '../core/validation.ts';

function parseLimit(raw: unknown): number {
  if (raw === undefined) return HISTORY_PAGE.default;
  const limit = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= HISTORY_PAGE.max)) {
    throw new AppError('bad_request', `limit: must be a whole number from 1 to ${HISTORY_PAGE.max}.`);
  }
  return limit;
}

export function chatRoutes(service: ChatService): Router {
  const router = Router();

  router.post('/api/messages', async (req, res) => {
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new AppError('bad_request', 'The body must be a JSON object such as {"userId":"alice","type":"text","text":"hello"}.');
    }
    const { userId, ...inbound } = body as Record<string, unknown>;
    const exchange = await service.receive(userId, inbound);
    res.json(exchange);
  });

  router.get('/api/messages', async (req, res) => {
    const userId = parseId(req.query.userId, 'userId');
    const limit = parseLimit(req.query.limit);
    const before = req.query.before === undefined ? undefined : parseId(req.query.before, 'before');
    const messages = await service.history(userId, { limit, before });
    if (!messages) throw new AppError('not_found', `before: no message "${before}" for this user.`);
    res.json({ messages });
  });

  return router;
}
