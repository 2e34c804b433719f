// POST /api/media: a picture the user attaches in the chat window, stored like the platform's media and
// answered with `{ mediaId, url }` for the `image` inbound that follows.
import { Router, type RequestHandler } from 'express';
import type { MediaPayload } from '../contract.ts';
import { AppError } from '../core/errors.ts';
import { checkMediaFor, MEDIA_LIMITS, mediaUrl, newMediaId } from '../media.ts';
import type { ChatStore } from '../store/chat-store.ts';
import { readOneFile } from './multipart.ts';

const FIELD = 'media';
const MAX_BYTES = MEDIA_LIMITS.image.maxBytes;

/** Reads the one file; refusals become the HTTP contract's errors (too big 413, malformed 400). */
const readPicture: RequestHandler = (req, res, next) => {
  readOneFile(req, res, { field: FIELD, maxBytes: MAX_BYTES, fields: 0 }).then((refusal) => {
    if (!refusal) return next();
    if (refusal.reason === 'too_large') return next(new AppError('too_large', `A picture may be at most ${MAX_BYTES / 1024} KiB.`));
    if (refusal.reason === 'unexpected_file') return next(new AppError('bad_request', `Send one picture, in the multipart field "${FIELD}".`));
    next(new AppError('bad_request', `The upload is malformed: ${refusal.message}.`));
  }, next);
};

/** `now`: the clock uploads are dated with (their 3 days are counted from it). */
export function userMediaRoutes(store: ChatStore, now: () => number = Date.now): Router {
  const router = Router();

  router.post('/api/media', readPicture, async (req, res) => {
    const file = req.file;
    if (!file) throw new AppError('bad_request', `Send the picture as multipart/form-data, in the field "${FIELD}".`);
    const contentType = await checkMediaFor('image', file.buffer, {
      format: (message) => new AppError('unsupported_media', message),
      empty: (message) => new AppError('bad_request', message),
      too_large: (message) => new AppError('too_large', message),
    });
    const mediaId = newMediaId();
    await store.putMedia({ mediaId, type: 'image', contentType, size: file.size, createdAt: new Date(now()).toISOString() }, file.buffer);
    const payload: MediaPayload = { mediaId, url: mediaUrl(mediaId) };
    res.json(payload);
  });

  return router;
}
