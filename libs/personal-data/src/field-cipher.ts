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
//
// Keys are given as KeyObjects (crypto.createSecretKey) by the data key
// store: a raw Buffer key costs OpenSSL a key import at every cipher made
// from it (about three times the cost of the whole encryption of a short
// field), a KeyObject only once. Buffers are still accepted (tests, the
// one-off re-wrapping of a data key).
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import type { JsonValue } from '@engagement/event-store';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;
const PREFIX = 'pd1';
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A 256-bit AES key: preferably a KeyObject made once (secretKey), else its raw bytes. */
export type SecretKey = KeyObject | Buffer;

/**
 * The key as a KeyObject, to be kept and reused. The KeyObject holds its own
 * copy of the bytes; `wipe` zeroes the Buffer it was made from.
 */
export function secretKey(raw: Buffer, wipe = false): KeyObject {
  if (raw.length !== KEY_BYTES) throw new Error(`A key is ${KEY_BYTES} bytes; got ${raw.length}`);
  const key = createSecretKey(raw);
  if (wipe) raw.fill(0);
  return key;
}

export interface ParsedEnvelope {
  keyId: string;
  iv: Buffer;
  sealed: Buffer;
}

// IVs are taken from a block of random bytes fetched at once, each IV's 12
// bytes used once and never again: as random as one randomBytes call per IV,
// at a tenth of the cost.
const IV_BLOCK_BYTES = IV_BYTES * 1_024;
let ivBlock = Buffer.alloc(0);
let ivOffset = 0;

function freshIv(): Buffer {
  if (ivOffset + IV_BYTES > ivBlock.length) {
    ivBlock = randomBytes(IV_BLOCK_BYTES);
    ivOffset = 0;
  }
  const iv = ivBlock.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

function seal(key: SecretKey, plaintext: Buffer, aad: string): { iv: Buffer; sealed: Buffer } {
  const iv = freshIv();
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, sealed: Buffer.concat([ciphertext, cipher.getAuthTag()]) };
}

function open(key: SecretKey, iv: Buffer, sealed: Buffer, aad: string): Buffer {
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
export function encryptField(value: JsonValue, keyId: string, key: SecretKey, aad: string): string {
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
export function decryptField(envelope: ParsedEnvelope, key: SecretKey, aad: string): JsonValue {
  return JSON.parse(open(key, envelope.iv, envelope.sealed, aad).toString('utf8')) as JsonValue;
}

/** A data key wrapped by a master key: iv ‖ ciphertext ‖ tag, bound to its contact and key id. */
export function wrapKey(dataKey: Buffer, masterKey: SecretKey, aad: string): Buffer {
  const { iv, sealed } = seal(masterKey, dataKey, aad);
  return Buffer.concat([iv, sealed]);
}

export function unwrapKey(wrapped: Buffer, masterKey: SecretKey, aad: string): Buffer {
  return open(masterKey, wrapped.subarray(0, IV_BYTES), wrapped.subarray(IV_BYTES), aad);
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
