// Short-lived service tokens: how a service knows who calls it. The gateway
// signs one per request it forwards (the caller's API key, its scopes, the
// request id); services calling each other sign their own with their
// service identity. A token is a JWT (RFC 7519) signed with HS256 under the
// platform's token key, addressed to one service (`aud`), valid for a minute.
//
// Written on node:crypto rather than a JWT library: we accept exactly one
// algorithm and one header, which is the whole of what a library would
// otherwise have to be configured to refuse ("alg": "none", key confusion).
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export const TOKEN_ISSUER = 'engagement-platform';
export const DEFAULT_TOKEN_TTL_SECONDS = 60;
/** Clock skew between services that a token's iat/exp tolerate. */
const LEEWAY_SECONDS = 5;

const HEADER = base64url(Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));

export interface ServiceTokenClaims {
  /** Who is calling: `apikey:<id>` for a client through the gateway, `service:<name>` for a service. */
  subject: string;
  /** The actor recorded in event metadata (`apikey:<id>`, `service:events`, …). */
  actor: string;
  scopes: string[];
  /** The service the token is for. */
  audience: string;
  /** The request id (x-correlation-id) the token was made for. */
  requestId: string;
  issuedAt: number;
  expiresAt: number;
}

export interface TokenRequest {
  subject: string;
  actor?: string;
  scopes: readonly string[];
  audience: string;
  requestId: string;
  ttlSeconds?: number;
}

export class InvalidServiceTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidServiceTokenError';
  }
}

function base64url(buffer: Buffer): string {
  return buffer.toString('base64url');
}

// createHmac with a raw Buffer imports the key into OpenSSL at every call
// (about 13 µs, on every proxied request and every check); a KeyObject made
// once per key costs that once.
const keyObjects = new WeakMap<Buffer, KeyObject>();

function signature(key: Buffer, signingInput: string): Buffer {
  let keyObject = keyObjects.get(key);
  if (!keyObject) {
    keyObject = createSecretKey(key);
    keyObjects.set(key, keyObject);
  }
  return createHmac('sha256', keyObject).update(signingInput).digest();
}

export function signServiceToken(key: Buffer, request: TokenRequest, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000);
  const payload = {
    iss: TOKEN_ISSUER,
    sub: request.subject,
    act: request.actor ?? request.subject,
    scope: request.scopes.join(' '),
    aud: request.audience,
    rid: request.requestId,
    iat,
    exp: iat + (request.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS),
  };
  const signingInput = `${HEADER}.${base64url(Buffer.from(JSON.stringify(payload)))}`;
  return `${signingInput}.${base64url(signature(key, signingInput))}`;
}

/** The claims of a valid token for `audience`; InvalidServiceTokenError otherwise. */
export function verifyServiceToken(
  key: Buffer,
  token: string,
  audience: string,
  nowMs = Date.now(),
): ServiceTokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new InvalidServiceTokenError('malformed token');
  const [header, payload, sig] = parts as [string, string, string];
  // Only our own header: no algorithm choice is left to the token.
  if (header !== HEADER) throw new InvalidServiceTokenError('unsupported token header');
  const expected = signature(key, `${header}.${payload}`);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidServiceTokenError('bad signature');
  }
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    throw new InvalidServiceTokenError('malformed claims');
  }
  const now = Math.floor(nowMs / 1000);
  const { iss, sub, act, scope, aud, rid, iat, exp } = claims;
  if (iss !== TOKEN_ISSUER) throw new InvalidServiceTokenError('unknown issuer');
  if (typeof sub !== 'string' || typeof scope !== 'string' || typeof rid !== 'string') {
    throw new InvalidServiceTokenError('missing claims');
  }
  if (typeof iat !== 'number' || typeof exp !== 'number') {
    throw new InvalidServiceTokenError('missing times');
  }
  if (exp + LEEWAY_SECONDS < now) throw new InvalidServiceTokenError('token expired');
  if (iat - LEEWAY_SECONDS > now) throw new InvalidServiceTokenError('token issued in the future');
  if (aud !== audience) throw new InvalidServiceTokenError(`token is not for ${audience}`);
  return {
    subject: sub,
    actor: typeof act === 'string' ? act : sub,
    scopes: scope.split(' ').filter(Boolean),
    audience: aud,
    requestId: rid,
    issuedAt: iat,
    expiresAt: exp,
  };
}

/** Every scope of the platform. pii:* are granted on their own: read and write do not imply them. */
export const SCOPES = ['read', 'write', 'admin', 'pii:read', 'pii:erase'] as const;
export type Scope = (typeof SCOPES)[number];

/** What each granted scope implies besides itself: admin holds all; write holds read. */
const IMPLIED: Record<string, readonly string[]> = {
  admin: SCOPES,
  write: ['read'],
};

export function hasScope(granted: readonly string[], needed: string): boolean {
  return granted.some((scope) => scope === needed || IMPLIED[scope]?.includes(needed));
}
