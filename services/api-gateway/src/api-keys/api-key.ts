// What an API key is: its format, how it is hashed for storage, and what its
// scopes allow. Pure functions, no I/O.
import { hash, randomBytes } from 'node:crypto';

import { hasScope, SCOPES, type Scope } from '@engagement/service-auth';

export { SCOPES, type Scope };

/** `eng_` and 32 random bytes in base64url (43 characters): 256 bits of entropy. */
export function generateApiKey(): string {
  return `eng_${randomBytes(32).toString('base64url')}`;
}

const GENERATED_KEY = /^eng_[A-Za-z0-9_-]{43}$/;

/**
 * SHA-256, not bcrypt or argon2, on purpose. Slow, salted hashes protect
 * low-entropy secrets people choose (passwords) against guessing; our keys
 * are 256 random bits, which no amount of guessing finds, so a slow hash
 * would add nothing but cost. And we hash on every request: bcrypt's ~100 ms
 * would dominate each call's latency and hand attackers a cheap way to burn
 * our CPU. An unsalted fast hash also lets us find a key by its hash through
 * a unique index instead of comparing against every stored key.
 * crypto.hash is the one-shot form: no Hash object per request.
 */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/**
 * What we show of a key in listings so people can tell keys apart. For our
 * generated keys 8 of the 43 random characters are shown (208 bits stay
 * secret); for a bootstrap key an operator chose we cannot tell how much
 * entropy it has, so none of it is shown.
 */
export function displayPrefix(key: string): string {
  return GENERATED_KEY.test(key) ? key.slice(0, 12) : '****';
}

/**
 * A bootstrap key is chosen by an operator, so we check it can travel in a
 * Bearer header (RFC 6750 token68 characters) and is not trivially short.
 */
export function checkBootstrapKey(key: string): void {
  if (key.length < 16 || key.length > 256 || !/^[A-Za-z0-9._~+/=-]+$/.test(key)) {
    throw new Error(
      'API_BOOTSTRAP_KEY must be 16 to 256 characters of A-Z a-z 0-9 . _ ~ + / = -; ' +
        '`npm run apikey -- create` shows the format of a generated key',
    );
  }
}

/** admin implies every scope, write implies read; pii:read and pii:erase are granted on their own. */
export function allows(granted: readonly Scope[], required: Scope): boolean {
  return hasScope(granted, required);
}

export function parseScopes(text: string): Scope[] | null {
  const scopes = [...new Set(text.split(',').map((s) => s.trim()))].filter(Boolean);
  if (scopes.length === 0 || !scopes.every((s): s is Scope => SCOPES.includes(s as Scope))) {
    return null;
  }
  return scopes;
}
