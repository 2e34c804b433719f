// Media files as the platform takes them: which types and formats, how big, the ids they get, and where
// the chat window (and a server under test) fetches them. Shared by the user's uploads and the platform API.
import { randomBytes } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import type { MediaRecord } from './store/chat-store.ts';

export type MediaType = MediaRecord['type'];

const MiB = 1024 * 1024;

/** The platform's limits for temporary media: size, formats, and the errcode a file too big gets. */
export const MEDIA_LIMITS: Record<MediaType, { maxBytes: number; formats: string[]; tooBigErrcode: number }> = {
  image: { maxBytes: 10 * MiB, formats: ['png', 'jpg', 'gif', 'bmp'], tooBigErrcode: 40009 },
  voice: { maxBytes: 2 * MiB, formats: ['amr', 'mp3'], tooBigErrcode: 40010 },
  video: { maxBytes: 10 * MiB, formats: ['mp4'], tooBigErrcode: 40011 },
  thumb: { maxBytes: 64 * 1024, formats: ['jpg'], tooBigErrcode: 40012 },
};

/** How long the platform keeps temporary media (3 days); afterwards the id is unknown and the bytes are gone. */
export const MEDIA_LIFETIME_MS = 3 * 24 * 3600 * 1000;

/** The bytes of live media a store holds at most unless configured (MEDIA_QUOTA_MB). */
export const DEFAULT_MEDIA_QUOTA_BYTES = 512 * MiB;

export const isMediaType = (type: unknown): type is MediaType => typeof type === 'string' && Object.hasOwn(MEDIA_LIMITS, type);

/** Why a file was refused: `empty`, `too_large` or `format` (not a format that type takes). */
export class MediaRejected extends Error {
  constructor(
    readonly reason: 'empty' | 'too_large' | 'format',
    readonly mediaType: MediaType,
    message: string,
  ) {
    super(message);
    this.name = 'MediaRejected';
  }
}

/** "An image", "A voice message": how a refusal names the kind of file. */
const article = (type: MediaType) => (type === 'image' ? 'An image' : type === 'thumb' ? 'A thumbnail' : `A ${type} file`);

/** Checks a file against its type's limits, by its bytes (never its name); resolves with its MIME type. */
export async function checkMedia(type: MediaType, bytes: Buffer): Promise<string> {
  const limits = MEDIA_LIMITS[type];
  if (bytes.length === 0) throw new MediaRejected('empty', type, 'The file is empty.');
  if (bytes.length > limits.maxBytes) {
    throw new MediaRejected('too_large', type, `${article(type)} may be at most ${limits.maxBytes / 1024} KiB; this one is ${Math.ceil(bytes.length / 1024)} KiB.`);
  }
  const detected = await fileTypeFromBuffer(bytes);
  if (!detected || !limits.formats.includes(detected.ext)) {
    throw new MediaRejected('format', type, `${article(type)} must be ${limits.formats.join(', ')}; this file is ${detected ? detected.ext : 'of no format recognised'}.`);
  }
  return detected.mime;
}

/** How a contract answers each refusal: the platform with its errcodes, the chat window with its error codes. */
export type MediaRefusals = Record<MediaRejected['reason'], (message: string) => Error>;

/** checkMedia, a refusal answered as `refusals` says. */
export async function checkMediaFor(type: MediaType, bytes: Buffer, refusals: MediaRefusals): Promise<string> {
  try {
    return await checkMedia(type, bytes);
  } catch (err) {
    throw err instanceof MediaRejected ? refusals[err.reason](err.message) : err;
  }
}

/**
 * The name a file is downloaded under: the uploaded name's stem in letters, digits, '_' and '-', with the
 * extension of the type its bytes were detected as, so a picture uploaded as `evil.html` is saved as `evil.png`.
 */
export function downloadName(uploaded: string, contentType: string): string {
  const stem = (uploaded.split(/[\\/]/).pop() ?? '').replace(/\.[^.]*$/, '').replace(/[^\p{L}\p{N}_-]+/gu, '_').slice(0, 64);
  return `${stem.replace(/^_+$/, '') || 'media'}.${MEDIA_EXTENSIONS[contentType] ?? 'bin'}`;
}

const MEDIA_EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'audio/amr': 'amr',
  'audio/mpeg': 'mp3',
  'video/mp4': 'mp4',
};

/** A fresh media id: 64 characters of [A-Za-z0-9_-], like the platform's, and valid wherever ids are checked. */
export function newMediaId(): string {
  return `M${randomBytes(47).toString('base64url')}`.slice(0, 64);
}

/** Where the chat window and servers under test fetch a media file's bytes. */
export function mediaUrl(mediaId: string): string {
  return `/api/media/${mediaId}`;
}
