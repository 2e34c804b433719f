// WeChat Pay APIv3 for the merchant's server, on (with its settings) beside the platform API: the platform's
// key pair, the merchant's key, and what each /v3/ call does. HTTP is http-pay.ts's business.
import { createPublicKey } from 'node:crypto';
import type { ChatService } from '../core/chat-service.ts';
import type { Logger } from '../logger.ts';
import type { Followers } from '../platform/users.ts';
import type { ChatStore } from '../store/chat-store.ts';
import { aesGcmEncrypt } from './pay-crypto.ts';
import type { PaySettings } from './pay-settings.ts';
import { platformKeys, type PlatformKeys } from './platform-keys.ts';
import { signingHeaders, verifyRequest, type MerchantKey, type SignedRequest } from './signatures.ts';

export type PayParts = {
  store: ChatStore;
  service: ChatService;
  followers: Followers;
  logger: Logger;
  now?: () => number;
  /** The account's appid (--appid): orders must name it; any is taken without it. */
  appId?: string;
};

export class WechatPay {
  readonly merchant: MerchantKey;
  private readonly now: () => number;

  private constructor(
    private readonly parts: PayParts,
    readonly settings: PaySettings,
    readonly keys: PlatformKeys,
  ) {
    this.now = parts.now ?? Date.now;
    this.merchant = { mchId: settings.mchId, serial: settings.mchSerial, publicKey: createPublicKey(settings.mchPublicKeyPem) };
  }

  /** Start-up: reads (or makes, once) the platform's key pair. */
  static async open(parts: PayParts, settings: PaySettings): Promise<WechatPay> {
    return new WechatPay(parts, settings, await platformKeys(parts.store, parts.now));
  }

  /** What Wechatpay-Serial says: the public key's id, or the certificate's serial (PAY_SIGN_WITH). */
  get serial(): string {
    return this.settings.signWith === 'certificate' ? this.keys.certificateSerial : this.keys.keyId;
  }

  /** Throws 401 SIGN_ERROR unless the merchant signed the request. */
  verify(request: SignedRequest): void {
    verifyRequest(request, this.merchant, this.now());
  }

  /** The Wechatpay-* headers for a body the platform sends (an answer, a notification). */
  sign(body: string): Record<string, string> {
    return signingHeaders(body, { privateKey: this.keys.privateKey, serial: this.serial }, this.now());
  }

  /** GET /v3/certificates: the platform certificate, encrypted with the APIv3 key as the platform serves it. */
  certificates(): object {
    const { certificateSerial, certificatePem, effectiveTime, expireTime } = this.keys;
    return {
      data: [{ serial_no: certificateSerial, effective_time: effectiveTime, expire_time: expireTime, encrypt_certificate: aesGcmEncrypt(certificatePem, this.settings.apiV3Key, 'certificate') }],
    };
  }

  /** GET /api/pay/public-key: WeChat Pay's public key as a merchant downloads it in public-key mode. */
  publicKey(): { keyId: string; pem: string } {
    return { keyId: this.keys.keyId, pem: this.keys.publicPem };
  }
}
