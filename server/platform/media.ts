// Temporary media as the platform keeps them: uploaded by the server under test (image, voice, video, thumb),
// usable by id for 3 days in customer-service messages and GET media/get, the bytes beside the store.
import { StoreError, type ChatStore, type MediaRecord } from '../store/chat-store.ts';
import { checkMediaFor, isMediaType, MEDIA_LIFETIME_MS, MEDIA_LIMITS, newMediaId, type MediaType } from '../media.ts';
import { PlatformError } from './errors.ts';

/** The `type` query parameter of media/upload; 40004 for anything but the platform's four. */
export function uploadType(type: unknown): MediaType {
  if (!isMediaType(type)) throw new PlatformError(40004, `type must be one of ${Object.keys(MEDIA_LIMITS).join(', ')}`);
  return type;
}

export class MediaLibrary {
  constructor(
    private readonly store: ChatStore,
    private readonly now: () => number,
  ) {}

  /**
   * Checks and keeps an uploaded file: 41005 without one, 40005 for a format its type does not take, 4000x for
   * its size, 45009 (the platform's "quota reached") when the simulator's media storage is full.
   */
  async upload(type: MediaType, file: { buffer: Buffer; originalname?: string } | undefined): Promise<{ type: MediaType; media_id: string; created_at: number }> {
    if (!file) throw new PlatformError(41005, 'send the file as the multipart field "media"');
    const contentType = await checkMediaFor(type, file.buffer, {
      format: (message) => new PlatformError(40005, message),
      empty: (message) => new PlatformError(40006, message),
      too_large: (message) => new PlatformError(MEDIA_LIMITS[type].tooBigErrcode, message),
    });
    const now = this.now();
    const record: MediaRecord = { mediaId: newMediaId(), type, contentType, size: file.buffer.length, createdAt: new Date(now).toISOString() };
    if (file.originalname) record.filename = file.originalname;
    await this.store.putMedia(record, file.buffer).catch((err: unknown) => {
      throw err instanceof StoreError && err.kind === 'quota' ? new PlatformError(45009, err.message) : err;
    });
    return { type, media_id: record.mediaId, created_at: Math.floor(now / 1000) };
  }

  /** A file that is still usable, of one of `types` when given; 40007 otherwise. */
  async get(mediaId: unknown, types?: MediaType[]): Promise<{ record: MediaRecord; bytes: Buffer }> {
    if (typeof mediaId !== 'string' || mediaId === '') throw new PlatformError(40007, 'media_id is missing');
    const media = await this.store.getMedia(mediaId);
    if (!media) throw new PlatformError(40007, 'no file was uploaded with that media_id');
    if (Date.parse(media.record.createdAt) + MEDIA_LIFETIME_MS <= this.now()) throw new PlatformError(40007, 'temporary media last 3 days');
    if (types && !types.includes(media.record.type)) throw new PlatformError(40007, `that media_id is a ${media.record.type}, not ${types.join(' or ')}`);
    return media;
  }
}
