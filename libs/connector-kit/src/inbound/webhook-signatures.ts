// Verifying the CRMs' webhook signatures on the raw bytes of the request,
// before anything parses them (PROVIDERS.md):
// - HubSpot v3: X-HubSpot-Signature-v3 = base64(HMAC-SHA256(app secret,
//   method + full URI + body + timestamp)), X-HubSpot-Request-Timestamp in
//   milliseconds, older than 5 minutes refused; some URI characters are
//   URL-decoded before signing (HubSpot's request-validation guide).
// - GoHighLevel: X-GHL-Signature = base64 Ed25519 over the raw body with
//   HighLevel's public key; the legacy X-WH-Signature (RSA-SHA256) only
//   where the integration configures its key. The body's `timestamp` is
//   checked after parsing (it is inside the signed bytes).
// Pure functions: the clock comes in as an argument. Comparisons of secrets
// are constant-time.
import { createHmac, createPublicKey, timingSafeEqual, verify } from 'node:crypto';

export type SignatureVerdict = 'valid' | 'invalid' | 'stale';

/** HubSpot's replay window (5 minutes). */
export const WEBHOOK_MAX_AGE_MS = 5 * 60 * 1000;

const DECODED_FOR_SIGNING: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$',
  '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

/** The URI as HubSpot signs it: the listed percent-escapes decoded, the rest kept. */
export function hubSpotSigningUri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => DECODED_FOR_SIGNING[m.toUpperCase()]!);
}

export function hubSpotV3Signature(secret: string, method: string, uri: string, body: Buffer, timestamp: string): string {
  return createHmac('sha256', secret)
    .update(`${method.toUpperCase()}${hubSpotSigningUri(uri)}`, 'utf8')
    .update(body)
    .update(timestamp, 'utf8')
    .digest('base64');
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function verifyHubSpotV3(input: {
  secret: string;
  method: string;
  /** The full URI HubSpot posted to (scheme, host, path and query). */
  uri: string;
  body: Buffer;
  signature: string | undefined;
  timestamp: string | undefined;
  nowMs: number;
  maxAgeMs?: number;
}): SignatureVerdict {
  if (!input.signature || !input.timestamp || !/^\d{1,16}$/.test(input.timestamp)) return 'invalid';
  const expected = Buffer.from(hubSpotV3Signature(input.secret, input.method, input.uri, input.body, input.timestamp), 'utf8');
  if (!sameBytes(expected, Buffer.from(input.signature, 'utf8'))) return 'invalid';
  // Checked after the signature, so that a forged timestamp is "invalid", not "stale".
  const age = input.nowMs - Number(input.timestamp);
  return Math.abs(age) > (input.maxAgeMs ?? WEBHOOK_MAX_AGE_MS) ? 'stale' : 'valid';
}

/** Ed25519 (X-GHL-Signature) or RSA-SHA256 (the legacy X-WH-Signature) over the raw body. */
export function verifyGhlSignature(input: {
  publicKeyPem: string;
  body: Buffer;
  signature: string | undefined;
  algorithm: 'ed25519' | 'rsa-sha256';
}): SignatureVerdict {
  if (!input.signature || !/^[A-Za-z0-9+/=\s]+$/.test(input.signature)) return 'invalid';
  try {
    const key = createPublicKey(input.publicKeyPem);
    const signature = Buffer.from(input.signature, 'base64');
    const ok =
      input.algorithm === 'ed25519'
        ? key.asymmetricKeyType === 'ed25519' && verify(null, input.body, key, signature)
        : key.asymmetricKeyType === 'rsa' && verify('sha256', input.body, key, signature);
    return ok ? 'valid' : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** A body timestamp (ISO 8601 or milliseconds) inside the window around now. */
export function freshTimestamp(value: unknown, nowMs: number, maxAgeMs = WEBHOOK_MAX_AGE_MS): boolean {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) && Math.abs(nowMs - ms) <= maxAgeMs;
}
