// Settings of the HubSpot emulator: the emulated portal and app, default
// credentials, rate limits and webhook delivery. Every value has a default
// (below) and an environment variable; tests pass overrides directly.
import { envNumber, envString } from '@engagement/emulator-kit';

export interface HubSpotEmulatorConfig {
  port: number;
  host: string;
  portalId: number;
  appId: number;
  /** A CRM user, for edits made "as a user" through the admin API (sourceId userId:<id>). */
  userId: number;
  privateAppToken: string;
  clientId: string;
  clientSecret: string;
  /** A refresh token that exists from the start (as if the app had been installed). */
  refreshToken: string;
  /** An authorization code that exists from the start (single use, until a reset). */
  authorizationCode: string;
  accessTokenTtlSeconds: number;
  /** Private apps: requests per interval, per app (TEN_SECONDLY_ROLLING). */
  rateLimitMax: number;
  /** OAuth (public) apps: requests per interval, per app and installing account. */
  oauthRateLimitMax: number;
  rateLimitIntervalMs: number;
  dailyLimit: number;
  /** CRM search: requests per second (per searchIntervalMs), per account. */
  searchPerSecond: number;
  searchIntervalMs: number;
  webhookBatchDelayMs: number;
  webhookMaxAttempts: number;
  webhookRetryBaseMs: number;
  webhookRetryMaxMs: number;
  webhookTimeoutMs: number;
  /** Target URL for webhooks; unset: none are sent until configured through the admin API. */
  webhookTargetUrl: string | null;
}

export function configFromEnv(overrides: Partial<HubSpotEmulatorConfig> = {}): HubSpotEmulatorConfig {
  return {
    port: envNumber('HUBSPOT_EMULATOR_PORT', 4030),
    host: envString('HUBSPOT_EMULATOR_HOST', '127.0.0.1'),
    portalId: envNumber('HUBSPOT_EMULATOR_PORTAL_ID', 62515),
    appId: envNumber('HUBSPOT_EMULATOR_APP_ID', 54321),
    userId: 7001,
    privateAppToken: envString('HUBSPOT_EMULATOR_PRIVATE_APP_TOKEN', 'pat-na1-emulator-private-app-token'),
    clientId: envString('HUBSPOT_EMULATOR_CLIENT_ID', 'hubspot-emulator-client-id'),
    clientSecret: envString('HUBSPOT_EMULATOR_CLIENT_SECRET', 'hubspot-emulator-client-secret'),
    refreshToken: envString('HUBSPOT_EMULATOR_REFRESH_TOKEN', 'hubspot-emulator-refresh-token'),
    authorizationCode: envString('HUBSPOT_EMULATOR_AUTH_CODE', 'hubspot-emulator-auth-code'),
    accessTokenTtlSeconds: envNumber('HUBSPOT_EMULATOR_ACCESS_TOKEN_TTL_SECONDS', 1800),
    rateLimitMax: envNumber('HUBSPOT_EMULATOR_RATE_LIMIT_MAX', 190),
    oauthRateLimitMax: envNumber('HUBSPOT_EMULATOR_OAUTH_RATE_LIMIT_MAX', 110),
    rateLimitIntervalMs: envNumber('HUBSPOT_EMULATOR_RATE_LIMIT_INTERVAL_MS', 10_000),
    dailyLimit: envNumber('HUBSPOT_EMULATOR_DAILY_LIMIT', 1_000_000),
    searchPerSecond: envNumber('HUBSPOT_EMULATOR_SEARCH_PER_SECOND', 5),
    searchIntervalMs: envNumber('HUBSPOT_EMULATOR_SEARCH_INTERVAL_MS', 1000),
    webhookBatchDelayMs: envNumber('HUBSPOT_EMULATOR_WEBHOOK_BATCH_DELAY_MS', 100),
    webhookMaxAttempts: envNumber('HUBSPOT_EMULATOR_WEBHOOK_MAX_ATTEMPTS', 10),
    webhookRetryBaseMs: envNumber('HUBSPOT_EMULATOR_WEBHOOK_RETRY_BASE_MS', 1000),
    webhookRetryMaxMs: envNumber('HUBSPOT_EMULATOR_WEBHOOK_RETRY_MAX_MS', 60_000),
    webhookTimeoutMs: envNumber('HUBSPOT_EMULATOR_WEBHOOK_TIMEOUT_MS', 5000),
    webhookTargetUrl: process.env.HUBSPOT_EMULATOR_WEBHOOK_URL || null,
    ...overrides,
  };
}
