// The platform's safe mode (encrypt_type=aes): AES-256-CBC with the account's EncodingAESKey, the
// message framed as 16 random bytes ‖ 4-byte length ‖ XML ‖ appid, and a sha1 signature over the result.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { sameSecret } from '../app/security.ts';

// The platform pads to 32-byte blocks (PKCS#7 with k = 32), not AES's 16.
const BLOCK = 32;
const RANDOM_PREFIX = 16;
const LENGTH_FIELD = 4;

/** Why a message could not be decrypted: a wrong key, a damaged or forged `Encrypt`. */
export class DecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptError';
  }
}

/** The 32-byte AES key a 43-character EncodingAESKey stands for. */
export function aesKeyOf(encodingAesKey: string): Buffer {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (encodingAesKey.length !== 43 || key.length !== 32) throw new Error('The EncodingAESKey must be 43 characters of base64 (32 bytes).');
  return key;
}

/** Encrypts one message XML for the account `appId`: what goes in `<Encrypt>`. */
export function encryptXml(xml: string, encodingAesKey: string, appId: string): string {
  const key = aesKeyOf(encodingAesKey);
  const body = Buffer.from(xml, 'utf8');
  const length = Buffer.alloc(LENGTH_FIELD);
  length.writeUInt32BE(body.length);
  const plain = Buffer.concat([randomBytes(RANDOM_PREFIX), length, body, Buffer.from(appId, 'utf8')]);
  const pad = BLOCK - (plain.length % BLOCK);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

/** Decrypts an `<Encrypt>` value; the appid it ends with is returned for the caller to check. */
export function decryptXml(encrypted: string, encodingAesKey: string): { xml: string; appId: string } {
  const key = aesKeyOf(encodingAesKey);
  const data = Buffer.from(encrypted, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) throw new DecryptError('Encrypt is not base64 of whole AES blocks.');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(data), decipher.final()]);
  // A wrong key gives random bytes: the padding and the length field are where that shows.
  const pad = plain[plain.length - 1]!;
  if (pad < 1 || pad > BLOCK || pad > plain.length || !plain.subarray(plain.length - pad).every((b) => b === pad)) {
    throw new DecryptError('the padding is wrong: not encrypted with this EncodingAESKey');
  }
  const framed = plain.subarray(RANDOM_PREFIX, plain.length - pad);
  if (framed.length < LENGTH_FIELD) throw new DecryptError('the message is too short to hold its length');
  const length = framed.readUInt32BE(0);
  if (length > framed.length - LENGTH_FIELD) throw new DecryptError('the length field is past the end: not encrypted with this EncodingAESKey');
  const body = framed.subarray(LENGTH_FIELD, LENGTH_FIELD + length);
  return { xml: body.toString('utf8'), appId: framed.subarray(LENGTH_FIELD + length).toString('utf8') };
}

/** `msg_signature`: sha1 of the token, timestamp, nonce and `Encrypt`, sorted and joined. */
export function msgSignature(token: string, timestamp: string, nonce: string, encrypted: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypted].sort().join('')).digest('hex');
}

/** Whether `signature` is the msg_signature of these values (compared in constant time). */
export function isMsgSigned(signature: unknown, token: string, timestamp: unknown, nonce: unknown, encrypted: string): boolean {
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string') return false;
  return sameSecret(signature.toLowerCase(), msgSignature(token, timestamp, nonce, encrypted));
}
