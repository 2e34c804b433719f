// The cryptography of APIv3: SHA256-with-RSA (PKCS#1 v1.5) signatures over lines that each end in "\n", and
// AEAD_AES_256_GCM with the merchant's 32-byte APIv3 key for what the platform encrypts (notifications,
// certificates): ciphertext base64 with the 16-byte tag at its end, a 12-character nonce, associated data.
import { createCipheriv, createDecipheriv, createSign, createVerify, randomBytes, type KeyObject } from 'node:crypto';

/** The message APIv3 signs: each part followed by "\n". */
export const signedMessage = (...parts: string[]) => parts.map((part) => `${part}\n`).join('');

export function rsaSign(message: string, privateKey: KeyObject): string {
  return createSign('RSA-SHA256').update(message).sign(privateKey, 'base64');
}

/** Whether `signature` (base64) signs `message` with the key; anything that is not a signature is false. */
export function rsaVerify(message: string, signature: string, publicKey: KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return createVerify('RSA-SHA256').update(message).verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random string of letters and digits, as the platform's nonces are. */
export function nonceString(length = 32): string {
  return [...randomBytes(length)].map((byte) => NONCE_ALPHABET[byte % NONCE_ALPHABET.length]).join('');
}

export type Encrypted = { algorithm: 'AEAD_AES_256_GCM'; ciphertext: string; nonce: string; associated_data: string };

/** Encrypts `plaintext` with the APIv3 key, as the platform encrypts a notification's resource. */
export function aesGcmEncrypt(plaintext: string, apiV3Key: string, associatedData: string): Encrypted {
  const nonce = nonceString(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
  return { algorithm: 'AEAD_AES_256_GCM', ciphertext, nonce, associated_data: associatedData };
}

/** The reverse, for tests and the example shop: throws when the tag does not match. */
export function aesGcmDecrypt({ ciphertext, nonce, associated_data }: Encrypted, apiV3Key: string): string {
  const bytes = Buffer.from(ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  decipher.setAAD(Buffer.from(associated_data, 'utf8'));
  decipher.setAuthTag(bytes.subarray(-16));
  return Buffer.concat([decipher.update(bytes.subarray(0, -16)), decipher.final()]).toString('utf8');
}
