import { randomBytes } from 'node:crypto';
import {
  decryptField,
  encryptField,
  newDataKey,
  parseEnvelope,
  secretKey,
  unwrapKey,
  wrapKey,
} from './field-cipher';

const contactId = 'c0000000-0000-4000-8000-000000000001';

describe('field cipher', () => {
  const key = newDataKey();

  it('round-trips any JSON value, with a fresh IV each time', () => {
    for (const value of ['ann@example.com', 42, true, { url: '/a', nested: [1, 'x'] }]) {
      const first = encryptField(value, 'k1', key, contactId);
      const second = encryptField(value, 'k1', key, contactId);
      expect(first).not.toEqual(second);
      expect(first).toMatch(/^pd1:k1:[\w-]+:[\w-]+$/);
      expect(decryptField(parseEnvelope(first)!, key, contactId)).toEqual(value);
    }
  });

  it('names the key in the ciphertext and hides the value', () => {
    const sealed = encryptField('ann@example.com', 'k7', key, contactId);
    expect(parseEnvelope(sealed)?.keyId).toBe('k7');
    expect(sealed).not.toContain('ann');
  });

  it('refuses another key, another contact and altered ciphertext', () => {
    const envelope = parseEnvelope(encryptField('secret', 'k1', key, contactId))!;
    expect(() => decryptField(envelope, newDataKey(), contactId)).toThrow();
    expect(() => decryptField(envelope, key, 'c0000000-0000-4000-8000-000000000002')).toThrow();
    const altered = Buffer.from(envelope.sealed);
    altered[0] ^= 1;
    expect(() => decryptField({ ...envelope, sealed: altered }, key, contactId)).toThrow();
  });

  it('tells envelopes from plain values', () => {
    expect(parseEnvelope('ann@example.com')).toBeNull();
    expect(parseEnvelope('pd1:k1:short:x')).toBeNull();
    expect(parseEnvelope(null)).toBeNull();
    expect(parseEnvelope({ a: 1 })).toBeNull();
  });

  it('wraps data keys under a master key, bound to their contact and key id', () => {
    const master = randomBytes(32);
    const wrapped = wrapKey(key, master, `${contactId}/k1`);
    expect(unwrapKey(wrapped, master, `${contactId}/k1`)).toEqual(key);
    expect(() => unwrapKey(wrapped, master, `${contactId}/k2`)).toThrow();
    expect(() => unwrapKey(wrapped, randomBytes(32), `${contactId}/k1`)).toThrow();
  });

  it('takes a KeyObject made once for the same key as its bytes', () => {
    const raw = newDataKey();
    const keyObject = secretKey(Buffer.from(raw));
    const sealed = encryptField('ann@example.com', 'k1', keyObject, contactId);
    expect(decryptField(parseEnvelope(sealed)!, raw, contactId)).toBe('ann@example.com');
    const other = encryptField('bob@example.com', 'k1', raw, contactId);
    expect(decryptField(parseEnvelope(other)!, keyObject, contactId)).toBe('bob@example.com');
    const master = secretKey(randomBytes(32));
    expect(unwrapKey(wrapKey(raw, master, `${contactId}/k1`), master, `${contactId}/k1`)).toEqual(
      raw,
    );
  });

  it('can wipe the bytes a KeyObject was made from, and refuses keys of the wrong size', () => {
    const raw = newDataKey();
    const copy = Buffer.from(raw);
    const keyObject = secretKey(raw, true);
    expect(raw.equals(Buffer.alloc(32))).toBe(true);
    const sealed = encryptField('x', 'k1', keyObject, contactId);
    expect(decryptField(parseEnvelope(sealed)!, copy, contactId)).toBe('x');
    expect(() => secretKey(randomBytes(16))).toThrow();
  });
});
