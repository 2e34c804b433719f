// Parametric QR codes (qrcode/create, showqrcode): the account's codes as records of kind `qrcodes`, one per
// ticket, shared by every process; the PNG drawn from the code's URL; and the scene a scan of a ticket names.
import { createHash, randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { z } from 'zod';
import type { QrCodeInfo } from '../contract.ts';
import { AppError } from '../core/errors.ts';
import { describeIssues } from '../core/validation.ts';
import type { ChatStore, FollowScene, Records } from '../store/chat-store.ts';
import { PlatformError } from './errors.ts';

/** The platform's limits: temporary codes live 60 s unless asked, 30 days at most; scene_id ranges; scene_str length. */
export const QR_LIMITS = { defaultExpireSeconds: 60, maxExpireSeconds: 2_592_000, maxTemporarySceneId: 2 ** 32 - 1, maxPermanentSceneId: 100_000, maxSceneStr: 64 } as const;
const ACTIONS = ['QR_SCENE', 'QR_STR_SCENE', 'QR_LIMIT_SCENE', 'QR_LIMIT_STR_SCENE'] as const;
type Action = (typeof ACTIONS)[number];
// An expired code is kept a day longer, so a scan of it is told "expired" rather than "unknown".
const EXPIRED_KEPT_MS = 86_400_000;

/** A code as stored. `expiresAt` (epoch ms) only for temporary codes. */
type StoredCode = { ticket: string; action: Action; sceneId?: number; sceneStr?: string; url: string; createdAt: number; expiresAt?: number };

const bodySchema = z.object({
  action_name: z.string({ error: 'must be a string' }),
  expire_seconds: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).optional(),
  action_info: z.object({ scene: z.object({ scene_id: z.unknown().optional(), scene_str: z.unknown().optional() }) }, { error: 'must be { scene: { scene_id | scene_str } }' }),
});

/** The scene a scan names, as the follower keeps it and user/info shows it. */
export function followSceneOf(code: StoredCode): FollowScene {
  return { qrScene: code.sceneId ?? 0, qrSceneStr: code.sceneStr ?? '' };
}

/** EventKey of a scan (without `qrscene_`): the scene_str, or the scene_id as digits. */
export function eventKeyOf(scene: FollowScene): string {
  return scene.qrSceneStr || String(scene.qrScene);
}

export class QrCodes {
  private readonly codes: Records<StoredCode>;

  constructor(
    store: ChatStore,
    private readonly now: () => number,
  ) {
    this.codes = store.records<StoredCode>('qrcodes');
  }

  /** POST qrcode/create: checks the action and scene against the platform's limits; `origin` is where the code's URL opens a chat. */
  async create(body: Record<string, unknown>, origin: string): Promise<object> {
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) throw new PlatformError(40053, describeIssues(parsed.error));
    const { action_name: action, expire_seconds, action_info } = parsed.data;
    if (!(ACTIONS as readonly string[]).includes(action)) throw new PlatformError(40097, `action_name must be one of ${ACTIONS.join(', ')}`);
    const permanent = action.startsWith('QR_LIMIT_');
    const scene = action.endsWith('STR_SCENE') ? { sceneStr: sceneStr(action_info.scene.scene_str) } : { sceneId: sceneId(action_info.scene.scene_id, permanent) };
    const createdAt = this.now();
    if (permanent) {
      // The platform answers the same ticket for the same permanent scene.
      const ticket = ticketFor(`${action}\n${scene.sceneStr ?? scene.sceneId}`);
      const code: StoredCode = (await this.codes.get(ticket)) ?? { ticket, action: action as Action, ...scene, url: codeUrl(origin, ticket), createdAt };
      await this.codes.put(ticket, code);
      return { ticket, url: code.url };
    }
    const seconds = expire_seconds ?? QR_LIMITS.defaultExpireSeconds;
    if (seconds < 1 || seconds > QR_LIMITS.maxExpireSeconds) throw new PlatformError(40097, `expire_seconds must be 1 to ${QR_LIMITS.maxExpireSeconds} (30 days)`);
    const ticket = ticketFor(randomBytes(16).toString('hex'));
    const code: StoredCode = { ticket, action: action as Action, ...scene, url: codeUrl(origin, ticket), createdAt, expiresAt: createdAt + seconds * 1000 };
    await this.codes.put(ticket, code, { ttlMs: seconds * 1000 + EXPIRED_KEPT_MS });
    return { ticket, expire_seconds: seconds, url: code.url };
  }

  /** The PNG of a live code's URL, or undefined for an unknown or expired ticket (showqrcode answers 404). */
  async image(ticket: unknown): Promise<Buffer | undefined> {
    const code = typeof ticket === 'string' ? await this.codes.get(ticket) : undefined;
    if (!code || this.expired(code)) return undefined;
    return QRCode.toBuffer(code.url, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 8 });
  }

  /** The scene a scan of `ticket` names; refused (`not_found`, `qrcode_expired`) for an unknown or expired code. */
  async scan(ticket: string): Promise<FollowScene> {
    const code = await this.codes.get(ticket);
    if (!code) throw new AppError('not_found', 'No QR code of this account has that ticket.');
    if (this.expired(code)) throw new AppError('qrcode_expired', `This QR code expired at ${new Date(code.expiresAt!).toISOString()}; the account must create a new one.`);
    return followSceneOf(code);
  }

  /** The account's live codes, newest first: what *Scan* in the chat window lists. */
  async list(): Promise<QrCodeInfo[]> {
    const live = (await this.codes.list()).map(({ value }) => value).filter((code) => !this.expired(code));
    return live
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((code) => ({
        ticket: code.ticket,
        action: code.action,
        scene: eventKeyOf(followSceneOf(code)),
        url: code.url,
        createdAt: new Date(code.createdAt).toISOString(),
        ...(code.expiresAt ? { expiresAt: new Date(code.expiresAt).toISOString() } : {}),
      }));
  }

  private expired(code: StoredCode): boolean {
    return code.expiresAt !== undefined && code.expiresAt <= this.now();
  }
}

function sceneId(value: unknown, permanent: boolean): number {
  const max = permanent ? QR_LIMITS.maxPermanentSceneId : QR_LIMITS.maxTemporarySceneId;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) throw new PlatformError(40053, `scene_id must be a whole number from 1 to ${max}`);
  return value;
}

function sceneStr(value: unknown): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > QR_LIMITS.maxSceneStr) throw new PlatformError(40053, `scene_str must be 1 to ${QR_LIMITS.maxSceneStr} characters`);
  return value;
}

/** Tickets look like the platform's: URL-safe, so they travel in a path and a query alike. */
function ticketFor(seed: string): string {
  return `gQ${createHash('sha256').update(seed).digest('base64url').slice(0, 30)}`;
}

/** The link the code encodes: on the simulator's origin, where opening it starts a chat by the scan. */
function codeUrl(origin: string, ticket: string): string {
  return `${origin.replace(/\/+$/, '')}/q/${ticket}`;
}
