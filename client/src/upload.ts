// Uploads a picture the user attaches (POST /api/media), for the `image` message that follows.
import type { ErrorBody, MediaPayload } from '../../server/contract.ts';

/** Uploads `file`; rejects with the server's own explanation when it refuses the picture. */
export async function uploadPicture(file: File): Promise<MediaPayload> {
  const body = new FormData();
  body.append('media', file);
  let res: Response;
  try {
    res = await fetch('/api/media', { method: 'POST', body });
  } catch {
    throw new Error('The server cannot be reached; send the picture again once connected.');
  }
  const payload = (await res.json().catch(() => undefined)) as MediaPayload | { error?: ErrorBody } | undefined;
  if (!res.ok || !payload || !('mediaId' in payload)) {
    const error = payload && 'error' in payload ? payload.error : undefined;
    throw new Error(error?.message ?? `The server answered ${res.status}.`);
  }
  return payload;
}
