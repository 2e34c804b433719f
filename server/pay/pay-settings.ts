// The settings WeChat Pay is turned on with (config.ts reads them): the merchant's id, API certificate serial,
// public key and APIv3 key, and the simulator's own choices for tests.

export type PaySettings = {
  mchId: string;
  /** The merchant API certificate's serial, upper-case hex: the serial_no requests must carry. */
  mchSerial: string;
  /** The merchant's API certificate or public key (PEM): what request signatures and paySigns are checked with. */
  mchPublicKeyPem: string;
  /** The APIv3 key (32 characters): notifications and certificates are encrypted with it. */
  apiV3Key: string;
  /** The retry schedule of notifications divided by this (1: the platform's own, 15 s … 24 h). */
  notifySpeedup: number;
  /** What Wechatpay-Serial names: the platform public key's id (public-key mode) or the platform certificate's serial. */
  signWith: 'public-key' | 'certificate';
  /** The merchant's name on the pay sheet and the receipt (PAY_MERCHANT_NAME); the account's name without it. */
  merchantName?: string;
};
