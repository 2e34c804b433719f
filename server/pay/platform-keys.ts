// WeChat Pay's own key pair, made once and kept in the store (kind `pay-keys`) so that every process and every
// restart signs with the same key: its public key is "WeChat Pay's public key" (id PUB_KEY_ID_…) for merchants
// in public-key mode, and a self-signed X.509 platform certificate (node-forge) for those that download
// certificates from /v3/certificates.
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import type { ChatStore } from '../store/chat-store.ts';

type StoredKeys = { keyId: string; privatePem: string; publicPem: string; certificatePem: string; certificateSerial: string; effectiveTime: string; expireTime: string };

export type PlatformKeys = {
  /** PUB_KEY_ID_ and 34 digits, as in the platform's examples. */
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  certificatePem: string;
  /** The certificate's serial number, upper-case hex as the platform writes it. */
  certificateSerial: string;
  effectiveTime: string;
  expireTime: string;
};

const KIND = 'pay-keys';
const KEY = 'platform';
const CERTIFICATE_YEARS = 5;

/** The stored key pair, made (and stored) first if there is none; when processes race, the first stored wins. */
export async function platformKeys(store: ChatStore, now: () => number = Date.now): Promise<PlatformKeys> {
  const records = store.records<StoredKeys>(KIND);
  let stored = await records.get(KEY);
  if (!stored) {
    await records.claim(KEY, await makeKeys(now()));
    stored = (await records.get(KEY))!;
  }
  return {
    ...stored,
    privateKey: createPrivateKey(stored.privatePem),
    publicKey: createPublicKey(stored.publicPem),
  };
}

async function makeKeys(now: number): Promise<StoredKeys> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const digits = Array.from({ length: 34 }, () => randomInt(10)).join('');
  // 20 bytes, the first below 0x80 so that the serial is positive and X.509 keeps it as it is.
  const serial = (randomInt(0x10, 0x80).toString(16) + randomBytes(19).toString('hex')).toUpperCase();
  const effective = new Date(now - 24 * 3600 * 1000);
  const expire = new Date(effective);
  expire.setUTCFullYear(expire.getUTCFullYear() + CERTIFICATE_YEARS);
  return {
    keyId: `PUB_KEY_ID_${digits}`,
    privatePem,
    publicPem,
    certificatePem: selfSigned(publicPem, privatePem, serial, effective, expire),
    certificateSerial: serial,
    effectiveTime: rfc3339(effective),
    expireTime: rfc3339(expire),
  };
}

function selfSigned(publicPem: string, privatePem: string, serial: string, notBefore: Date, notAfter: Date): string {
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicPem);
  certificate.serialNumber = serial;
  certificate.validity.notBefore = notBefore;
  certificate.validity.notAfter = notAfter;
  const name = [
    { shortName: 'C', value: 'CN' },
    { shortName: 'O', value: 'Tenpay.com' },
    { shortName: 'OU', value: 'Tenpay.com CA Center' },
    { shortName: 'CN', value: 'WeChat Pay platform (simulator)' },
  ];
  certificate.setSubject(name);
  certificate.setIssuer(name);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, keyEncipherment: true },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(privatePem), forge.md.sha256.create());
  return forge.pki.certificateToPem(certificate);
}

/** A time as the platform writes it: RFC 3339 in China's time zone, 2026-12-02T14:06:50+08:00. */
export function rfc3339(date: Date): string {
  const shifted = new Date(date.getTime() + 8 * 3600 * 1000);
  return `${shifted.toISOString().slice(0, 19)}+08:00`;
}
