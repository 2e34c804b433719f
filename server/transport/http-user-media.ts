// POST /api/media: a picture the user attaches in the chat window, stored like the platform's media and
// answered with `{ mediaId, url }` for the `image` inbound that follows.
import { Router, type RequestHandler } from 'express';
import multer from 'multer';
import type { MediaPayload } from '../contract.ts';
import { AppError } from '../core/errors.ts';
import { checkMedia, MEDIA_LIMITS, MediaRejected, mediaUrl, newMediaId } from '../media.ts';
import type { ChatStore } from '../store/chat-store.ts';

const FIELD = 'media';
const MAX_BYTES = MEDIA_LIMITS.image.maxBytes;

// Memory storage: a picture is at most 10 MiB, and multer stops reading past that.
const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_BYTES, files: 1, fields: 0 } });

/** Reads the one file; multer's and busboy's refusals become the HTTP contract's errors (too big 413, malformed 400). */
const readPicture: RequestHandler = (req, res, next) => {
  upload.single(FIELD)(req, res, (err: unknown) => {
    if (!err) return next();
    if (err instanceof multer.MulterError && err.code === 'LIMIT_FILE_SIZE') return next(new AppError('too_large', `A picture may be at most ${MAX_BYTES / 1024} KiB.`));
    if (err instanceof multer.MulterError && err.code === 'LIMIT_UNEXPECTED_FILE') return next(new AppError('bad_request', `Send one picture, in the multipart field "${FIELD}".`));
    next(new AppError('bad_request', `The upload is malformed: ${(err as Error).message}.`));
  });
};

/** `now`: the clock uploads are dated with (their 3 days are counted from it). */
export function userMediaRoutes(store: ChatStore, now: () => number = Date.now): Router {
  const router = Router();

  router.post('/api/media', readPicture, async (req, res) => {
    const file = req.file;
    if (!file) throw new AppError('bad_request', `Send the picture as multipart/form-data, in the field "${FIELD}".`);
    let contentType: string;
    try {
      contentType = await checkMedia('image', file.buffer);
    } catch (err) {
      if (!(err instanceof MediaRejected)) throw err;
      const tooBig = err.reason === 'size' && file.size > 0;
      throw new AppError(err.reason === 'format' ? 'unsupported_media' : tooBig ? 'too_large' : 'bad_request', err.message);
    }
    const mediaId = newMediaId();
    await store.putMedia({ mediaId, type: 'image', contentType, size: file.size, createdAt: new Date(now()).toISOString() }, file.buffer);
    const payload: MediaPayload = { mediaId, url: mediaUrl(mediaId) };
    res.json(payload);
  });

  return router;
}
