// Codes and tokens of web authorization (网页授权) that carry what they grant: who, which scope, until when,
// signed with a key derived from the appid, the secret and the grant's purpose. Like access tokens
// (signed-token.ts), every simulator started with the same credentials accepts them without a lookup, and an
// expired one is still told apart from a forged one (42003 or 42002 rather than 40029 or 40030). A purpose's
// grants never pass for another's: a code is not an access token, nor a refresh token.
//
// base64url of: version (1) | expiry, ms since the epoch (8) | random (12) | the fields as JSON, then a dot
// and the base64url HMAC-SHA256 of those bytes.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 1;
const HEADER_BYTES = 1 + 8 + 12;
const MAC_CHARS = 43;
const GRANT_FORMAT = /^[A-Za-z0-9_-]{28,2048}\.[A-Za-z0-9_-]{43}$/;

export type GrantPurpose = 'oauth code' | 'sns access_token' | 'sns refresh_token';

/** What a grant says: when it expires (epoch ms), its random part (base64url, which names it), and its fields. */
export type Grant<F> = { expiresAt: number; id: string; fields: F };

export class GrantSigner<F extends Record<string, string>> {
  private readonly key: Buffer;

  constructor(appId: string, secret: string, purpose: GrantPurpose) {
    this.key = Buffer.from(hkdfSync('sha256', secret, appId, `wechat-oa-simulator ${purpose}`, 32));
  }

  /** A new grant of `fields` that expires at `expiresAt`, and its text. */
  issue(fields: F, expiresAt: number): { grant: Grant<F>; text: string } {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(VERSION, 0);
    header.writeBigUInt64BE(BigInt(Math.floor(expiresAt)), 1);
    randomBytes(12).copy(header, 9);
    const signed = Buffer.concat([header, Buffer.from(JSON.stringify(fields))]);
    const grant = { expiresAt: Math.floor(expiresAt), id: header.subarray(9).toString('base64url'), fields };
    return { grant, text: `${signed.toString('base64url')}.${this.mac(signed)}` };
  }

  /** The grant this text is, expired or not; undefined for anything this signer did not sign. */
  verify(text: unknown): Grant<F> | undefined {
    if (typeof text !== 'string' || !GRANT_FORMAT.test(text)) return undefined;
    const [body, mac] = text.split('.') as [string, string];
    const signed = Buffer.from(body, 'base64url');
    if (signed.length <= HEADER_BYTES || signed[0] !== VERSION) return undefined;
    const expected = Buffer.from(this.mac(signed));
    if (mac.length !== MAC_CHARS || !timingSafeEqual(Buffer.from(mac), expected)) return undefined;
    return {
      expiresAt: Number(signed.readBigUInt64BE(1)),
      id: signed.subarray(9, HEADER_BYTES).toString('base64url'),
      fields: JSON.parse(signed.subarray(HEADER_BYTES).toString('utf8')) as F,
    };
  }

  private mac(signed: Buffer): string {
    return createHmac('sha256', this.key).update(signed).digest('base64url');
  }
}
