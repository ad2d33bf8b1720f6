// The gateway's settings, read once from the environment at start. Every
// value has a default that works on a developer machine; a malformed value
// stops the process with a message naming the variable.
import { loadPlatformConfig } from '@engagement/config';
import { loadServiceTokenKey } from '@engagement/service-auth';

export interface GatewayConfig {
  port: number;
  host: string;
  databaseUrl: string;
  /** PostgreSQL schema of the gateway's own tables (api keys, idempotency). */
  schema: string;
  /** If set, an admin key with exactly this value is ensured at start. */
  bootstrapKey: string | undefined;
  /**
   * How long an API key lookup is remembered (API_KEY_CACHE_TTL_MS, 0 turns
   * the cache off). Revocations reach every gateway at once through
   * PostgreSQL NOTIFY; this is the bound if a gateway misses the notice.
   */
  apiKeyCacheTtlMs: number;
  /**
   * Base URL of each upstream service, by the name the routing table uses;
   * several instances of a service as a comma-separated list (see
   * proxy/upstream-pool.ts, upstreamUrls()).
   */
  upstreams: Record<string, string>;
  upstreamTimeoutMs: number;
  /** How often each instance of a service with several is health-checked (UPSTREAM_HEALTH_INTERVAL_MS). */
  upstreamHealthIntervalMs: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /**
   * Requests failing authentication (missing, malformed, unknown or revoked
   * key) allowed per client address: a burst (AUTH_FAILURE_BURST), then
   * AUTH_FAILURE_PER_SECOND; beyond that a 429 without a key lookup.
   */
  authFailurePerSecond: number;
  authFailureBurst: number;
  /** Proxies whose X-Forwarded-For names the client (GATEWAY_TRUSTED_PROXIES, comma-separated addresses). */
  trustedProxies: string[];
  /** Largest request body forwarded, e.g. '1mb'; imports have their own limit. */
  bodyLimit: string;
  importBodyLimit: string;
  /** The key service tokens are signed with (PLATFORM_TOKEN_SECRET; generated in development). */
  serviceTokenKey: Buffer;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  if (integer(env, 'RATE_LIMIT_BURST', 100) < 1)
    throw new Error('RATE_LIMIT_BURST must be at least 1');
  return {
    port: integer(env, 'GATEWAY_PORT', 3000),
    host: env.GATEWAY_HOST || '127.0.0.1',
    // The gateway needs PostgreSQL only, so DATABASE_URL alone is enough;
    // loadPlatformConfig (which also wants Kafka) is the fallback that finds
    // the database `npm start` resolved.
    databaseUrl: env.DATABASE_URL || loadPlatformConfig(env).databaseUrl,
    schema: env.API_GATEWAY_SCHEMA || 'api_gateway',
    bootstrapKey: env.API_BOOTSTRAP_KEY || undefined,
    apiKeyCacheTtlMs: integer(env, 'API_KEY_CACHE_TTL_MS', 5_000),
    upstreams: {
      contacts: url(env, 'CONTACTS_URL', 'http://127.0.0.1:3101'),
      events: url(env, 'EVENTS_URL', 'http://127.0.0.1:3102'),
      'connector-hubspot': url(env, 'CONNECTOR_HUBSPOT_URL', 'http://127.0.0.1:3104'),
      'connector-gohighlevel': url(env, 'CONNECTOR_GOHIGHLEVEL_URL', 'http://127.0.0.1:3105'),
      messaging: url(env, 'MESSAGING_URL', 'http://127.0.0.1:3103'),
    },
    upstreamTimeoutMs: integer(env, 'UPSTREAM_TIMEOUT_MS', 30_000),
    upstreamHealthIntervalMs: Math.max(100, integer(env, 'UPSTREAM_HEALTH_INTERVAL_MS', 2_000)),
    rateLimitPerSecond: positiveNumber(env, 'RATE_LIMIT_PER_SECOND', 50),
    rateLimitBurst: integer(env, 'RATE_LIMIT_BURST', 100),
    authFailurePerSecond: positiveNumber(env, 'AUTH_FAILURE_PER_SECOND', 1),
    authFailureBurst: Math.max(1, integer(env, 'AUTH_FAILURE_BURST', 20)),
    trustedProxies: (env.GATEWAY_TRUSTED_PROXIES ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean),
    bodyLimit: size(env, 'GATEWAY_BODY_LIMIT', '1mb'),
    importBodyLimit: size(env, 'GATEWAY_IMPORT_BODY_LIMIT', '50mb'),
    serviceTokenKey: loadServiceTokenKey(env),
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number, got "${raw}"`);
  return value;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/** One absolute URL, or several separated by commas (instances of one service). */
function url(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  const parts = raw.split(',').map((part) => part.trim());
  try {
    if (parts.some((part) => part === '')) throw new Error('empty');
    return parts.map((part) => new URL(part).toString().replace(/\/+$/, '')).join(',');
  } catch {
    throw new Error(
      `${name} must be an absolute URL or a comma-separated list of them, got "${raw}"`,
    );
  }
}

function size(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  if (!/^\d+(b|kb|mb)$/i.test(raw))
    throw new Error(`${name} must look like 512kb or 1mb, got "${raw}"`);
  return raw.toLowerCase();
}
