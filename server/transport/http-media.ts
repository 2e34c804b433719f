// Media bytes over HTTP: GET /api/media/:id serves a stored picture, voice or video to the chat window.
import { Router } from 'express';
import { AppError } from '../core/errors.ts';
import type { ChatStore } from '../store/chat-store.ts';
import { parseId } from '../core/validation.ts';

export function mediaRoutes(store: ChatStore): Router {
  const router = Router();

  router.get('/api/media/:id', async (req, res) => {
    const id = parseId(req.params.id, 'id');
    const media = await store.getMedia(id);
    if (!media) throw new AppError('not_found', `There is no media "${id}".`);
    // A media id never names other bytes, so the answer never changes.
    res.set('Cache-Control', 'public, max-age=31536000, immutable');
    res.type(media.record.contentType).send(media.bytes);
  });

  return router;
}
