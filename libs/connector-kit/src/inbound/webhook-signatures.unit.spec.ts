import { createHash, createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { freshTimestamp, hubSpotSigningUri, verifyGhlSignature, verifyHubSpotV3 } from './webhook-signatures';

describe('HubSpot v3 signatures', () => {
  const secret = 'app-secret';
  const uri = 'https://gw.example/api/webhooks/hubspot?x=%3Ab';
  const body = Buffer.from('[{"eventId":1}]');
  const now = 1_800_000_000_000;
  // Computed independently of the module: HubSpot's documented recipe.
  const signed = (ts: string, b = body, u = 'https://gw.example/api/webhooks/hubspot?x=:b') =>
    createHmac('sha256', secret).update(`POST${u}${b.toString()}${ts}`).digest('base64');

  it('accepts the signature HubSpot computes, with the listed URI characters decoded', () => {
    const ts = String(now - 1000);
    expect(verifyHubSpotV3({ secret, method: 'POST', uri, body, signature: signed(ts), timestamp: ts, nowMs: now })).toBe('valid');
    expect(hubSpotSigningUri('/a%2Fb%20c')).toBe('/a/b%20c');
  });

  it('refuses a changed body, another secret, a missing header', () => {
    const ts = String(now);
    const sig = signed(ts);
    expect(verifyHubSpotV3({ secret, method: 'POST', uri, body: Buffer.from('[{"eventId":2}]'), signature: sig, timestamp: ts, nowMs: now })).toBe('invalid');
    expect(verifyHubSpotV3({ secret: 'other', method: 'POST', uri, body, signature: sig, timestamp: ts, nowMs: now })).toBe('invalid');
    expect(verifyHubSpotV3({ secret, method: 'POST', uri, body, signature: undefined, timestamp: ts, nowMs: now })).toBe('invalid');
    expect(verifyHubSpotV3({ secret, method: 'POST', uri, body, signature: sig, timestamp: undefined, nowMs: now })).toBe('invalid');
  });

  it('calls a correctly signed request older than 5 minutes stale', () => {
    const ts = String(now - 5 * 60 * 1000 - 1);
    expect(verifyHubSpotV3({ secret, method: 'POST', uri, body, signature: signed(ts), timestamp: ts, nowMs: now })).toBe('stale');
  });

  it('does not take the v1 signature for v3', () => {
    const ts = String(now);
    const v1 = createHash('sha256').update(secret + body.toString()).digest('hex');
    expect(verifyHubSpotV3({ secret, method: 'POST', uri, body, signature: v1, timestamp: ts, nowMs: now })).toBe('invalid');
  });
});

describe('GoHighLevel signatures', () => {
  const ed = generateKeyPairSync('ed25519');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = (k: typeof ed.publicKey) => k.export({ type: 'spki', format: 'pem' }).toString();
  const body = Buffer.from('{"type":"ContactUpdate","id":"c1"}');

  it('accepts Ed25519 over the raw body with the configured key and refuses anything else', () => {
    const signature = sign(null, body, ed.privateKey).toString('base64');
    expect(verifyGhlSignature({ publicKeyPem: pem(ed.publicKey), body, signature, algorithm: 'ed25519' })).toBe('valid');
    expect(verifyGhlSignature({ publicKeyPem: pem(ed.publicKey), body: Buffer.from(`${body} `), signature, algorithm: 'ed25519' })).toBe('invalid');
    const other = generateKeyPairSync('ed25519');
    expect(verifyGhlSignature({ publicKeyPem: pem(other.publicKey), body, signature, algorithm: 'ed25519' })).toBe('invalid');
    expect(verifyGhlSignature({ publicKeyPem: pem(ed.publicKey), body, signature: undefined, algorithm: 'ed25519' })).toBe('invalid');
    expect(verifyGhlSignature({ publicKeyPem: 'not a key', body, signature, algorithm: 'ed25519' })).toBe('invalid');
  });

  it('accepts the legacy RSA-SHA256 signature only with an RSA key', () => {
    const signature = sign('sha256', body, rsa.privateKey).toString('base64');
    expect(verifyGhlSignature({ publicKeyPem: pem(rsa.publicKey), body, signature, algorithm: 'rsa-sha256' })).toBe('valid');
    expect(verifyGhlSignature({ publicKeyPem: pem(rsa.publicKey), body, signature, algorithm: 'ed25519' })).toBe('invalid');
  });

  it('checks the body timestamp against the 5-minute window', () => {
    const now = Date.parse('2026-12-04T21:00:00Z');
    expect(freshTimestamp('2026-12-04T20:56:00Z', now)).toBe(true);
    expect(freshTimestamp('2026-12-04T20:54:00Z', now)).toBe(false);
    expect(freshTimestamp('yesterday', now)).toBe(false);
    expect(freshTimestamp(undefined, now)).toBe(false);
  });
});
