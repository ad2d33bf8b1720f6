// The cryptography of crypto-shredding, with no I/O: AES-256-GCM for one
// personal field under a contact's data key, and for wrapping a data key
// under a master key. Every encryption takes a fresh random 96-bit IV; the
// GCM tag makes tampering (or a ciphertext moved to another contact, through
// the additional authenticated data) fail loudly instead of decrypting to
// garbage.
//
// An encrypted field is one JSON string, so events keep their shape:
//   pd1:<dataKeyId>:<iv, base64url>:<ciphertext and tag, base64url>
// The key id is in every ciphertext so that a contact's data key can be
// rotated while older events stay readable.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { JsonValue } from '@engagement/event-store';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;
const PREFIX = 'pd1';
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface ParsedEnvelope {
  keyId: string;
  iv: Buffer;
  sealed: Buffer;
}

function seal(key: Buffer, plaintext: Buffer, aad: string): { iv: Buffer; sealed: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, sealed: Buffer.concat([ciphertext, cipher.getAuthTag()]) };
}

function open(key: Buffer, iv: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < TAG_BYTES) throw new Error('ciphertext too short');
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
    decipher.final(),
  ]);
}

/** Encrypts one field's JSON value; `aad` binds it to its contact (the contact id). */
export function encryptField(value: JsonValue, keyId: string, key: Buffer, aad: string): string {
  if (!KEY_ID.test(keyId)) throw new Error(`Invalid data key id "${keyId}"`);
  const { iv, sealed } = seal(key, Buffer.from(JSON.stringify(value), 'utf8'), aad);
  return `${PREFIX}:${keyId}:${iv.toString('base64url')}:${sealed.toString('base64url')}`;
}

/** The parts of an encrypted field, or null when the value is not one. */
export function parseEnvelope(value: unknown): ParsedEnvelope | null {
  if (typeof value !== 'string' || !value.startsWith(`${PREFIX}:`)) return null;
  const parts = value.split(':');
  if (parts.length !== 4 || !KEY_ID.test(parts[1])) return null;
  const iv = Buffer.from(parts[2], 'base64url');
  if (iv.length !== IV_BYTES) return null;
  return { keyId: parts[1], iv, sealed: Buffer.from(parts[3], 'base64url') };
}

/** Decrypts a parsed field; throws when the key is wrong or the ciphertext was altered. */
export function decryptField(envelope: ParsedEnvelope, key: Buffer, aad: string): JsonValue {
  return JSON.parse(open(key, envelope.iv, envelope.sealed, aad).toString('utf8')) as JsonValue;
}

/** A data key wrapped by a master key: iv ‖ ciphertext ‖ tag, bound to its contact and key id. */
export function wrapKey(dataKey: Buffer, masterKey: Buffer, aad: string): Buffer {
  const { iv, sealed } = seal(masterKey, dataKey, aad);
  return Buffer.concat([iv, sealed]);
}

export function unwrapKey(wrapped: Buffer, masterKey: Buffer, aad: string): Buffer {
  return open(masterKey, wrapped.subarray(0, IV_BYTES), wrapped.subarray(IV_BYTES), aad);
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
