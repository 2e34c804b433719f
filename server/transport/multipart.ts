// The one multipart upload reader, for the chat window's pictures and the platform's media/upload: one file,
// in memory (at most its type's limit: multer stops reading past that). Each caller answers refusals its own way.
import type { Request, Response } from 'express';
import multer from 'multer';

/** Why an upload could not be read: too big, a file in another field, or a malformed body. */
export type UploadRefusal = { reason: 'too_large' | 'unexpected_file' | 'malformed'; message: string };

/** Reads the file of `field` into req.file; resolves with the refusal, if any. */
export function readOneFile(req: Request, res: Response, { field, maxBytes, fields }: { field: string; maxBytes: number; fields: number }): Promise<UploadRefusal | undefined> {
  const parse = multer({ storage: multer.memoryStorage(), limits: { fileSize: maxBytes, files: 1, fields } }).single(field);
  return new Promise((resolve) => {
    parse(req, res, (err: unknown) => {
      if (!err) return resolve(undefined);
      const code = err instanceof multer.MulterError ? err.code : undefined;
      const reason = code === 'LIMIT_FILE_SIZE' ? 'too_large' : code === 'LIMIT_UNEXPECTED_FILE' ? 'unexpected_file' : 'malformed';
      resolve({ reason, message: (err as Error).message });
    });
  });
}
