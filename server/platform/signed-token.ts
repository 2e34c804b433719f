// The access token's format. A token carries its own expiry, signed with a key derived from the appid and
// secret, so every simulator started with the same credentials accepts it without looking it up: across
// processes, restarts and `npm run flows` runs, each with a store of its own. Nothing in the store can pass
// for a token, and the store holds no token itself (tokens.ts keeps only expiries and random parts).
//
// base64url of 57 bytes (76 characters): version (1) | expiry, ms since the epoch (8) | random (16) |
// HMAC-SHA256 of those 25 bytes and the appid (32).
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 1;
const RANDOM_BYTES = 16;
const SIGNED_BYTES = 1 + 8 + RANDOM_BYTES;
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{76}$/;

/** What a token says: when it expires (epoch ms) and its random part (base64url), which names it in the store. */
export type TokenParts = { expiresAt: number; id: string };

export class TokenSigner {
  private readonly key: Buffer;

  constructor(
    private readonly appId: string,
    secret: string,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secret, appId, 'wechat-oa-simulator access_token', 32));
  }

  /** The parts of a new token that expires at `expiresAt`. */
  fresh(expiresAt: number): TokenParts {
    return { expiresAt: Math.floor(expiresAt), id: randomBytes(RANDOM_BYTES).toString('base64url') };
  }

  /** The token with these parts: the same parts give the same token, so stable_token keeps only the parts. */
  sign({ expiresAt, id }: TokenParts): string {
    const signed = Buffer.alloc(SIGNED_BYTES);
    signed.writeUInt8(VERSION, 0);
    signed.writeBigUInt64BE(BigInt(expiresAt), 1);
    Buffer.from(id, 'base64url').copy(signed, 9);
    return Buffer.concat([signed, this.mac(signed)]).toString('base64url');
  }

  /** The parts of a token signed with this appid and secret, whether expired or not; undefined for anything else. */
  verify(token: string): TokenParts | undefined {
    if (!TOKEN_FORMAT.test(token)) return undefined;
    const bytes = Buffer.from(token, 'base64url');
    const signed = bytes.subarray(0, SIGNED_BYTES);
    if (signed[0] !== VERSION || !timingSafeEqual(bytes.subarray(SIGNED_BYTES), this.mac(signed))) return undefined;
    return { expiresAt: Number(signed.readBigUInt64BE(1)), id: signed.subarray(9).toString('base64url') };
  }

  private mac(signed: Buffer): Buffer {
    return createHmac('sha256', this.key).update(signed).update(this.appId).digest();
  }
}
