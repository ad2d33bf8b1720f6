import { randomBytes } from 'node:crypto';
import {
  decryptField,
  encryptField,
  newDataKey,
  parseEnvelope,
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
});
