// Settings of the GoHighLevel emulator: the emulated agency (company), its
// location (sub-account), the Marketplace app, default credentials, rate
// limits, webhook delivery and where the webhook signing keys live. Every
// value has a default (below) and an environment variable; tests pass
// overrides directly.
import path from 'node:path';
import { envNumber, envString } from '@engagement/emulator-kit';

export interface GhlEmulatorConfig {
  port: number;
  host: string;
  companyId: string;
  locationId: string;
  /** The location's Private Integration token. */
  privateIntegrationToken: string;
  /** Marketplace app: the client id's part before "-" is the app id webhooks carry. */
  clientId: string;
  clientSecret: string;
  /** A refresh token that exists from the start (single use: it rotates like every other). */
  refreshToken: string;
  /** An authorization code that exists from the start (single use, until a reset). */
  authorizationCode: string;
  userId: string;
  accessTokenTtlSeconds: number;
  /** Accepted values of the Version header (the contacts API documents 2021-07-28). */
  apiVersions: string[];
  /** Burst: requests per interval, per app (or Private Integration) per location. */
  rateLimitMax: number;
  rateLimitIntervalMs: number;
  /** Requests per day, per app per location. */
  dailyLimit: number;
  webhookMaxAttempts: number;
  webhookRetryBaseMs: number;
  webhookRetryMaxMs: number;
  webhookTimeoutMs: number;
  webhookTargetUrl: string | null;
  /** Also sign with the legacy X-WH-Signature (RSA-SHA256). */
  legacySignature: boolean;
  /** Where the webhook keys are kept (the public key for connectors: webhook-public-key.pem). */
  dataDir: string;
  /** Ed25519 private key (PEM, or a path to one); unset: the one in dataDir, else a new one. */
  webhookPrivateKey: string | null;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export function configFromEnv(overrides: Partial<GhlEmulatorConfig> = {}): GhlEmulatorConfig {
  return {
    port: envNumber('GHL_EMULATOR_PORT', 4040),
    host: envString('GHL_EMULATOR_HOST', '127.0.0.1'),
    companyId: envString('GHL_EMULATOR_COMPANY_ID', 'EmulatorCompany00001'),
    locationId: envString('GHL_EMULATOR_LOCATION_ID', 'EmulatorLocation0001'),
    privateIntegrationToken: envString('GHL_EMULATOR_PRIVATE_INTEGRATION_TOKEN', 'pit-emulator-location-0001'),
    clientId: envString('GHL_EMULATOR_CLIENT_ID', '66a0e0b1c2d3e4f5a6b7c8d9-emulator'),
    clientSecret: envString('GHL_EMULATOR_CLIENT_SECRET', 'ghl-emulator-client-secret'),
    refreshToken: envString('GHL_EMULATOR_REFRESH_TOKEN', 'ghl-emulator-refresh-token'),
    authorizationCode: envString('GHL_EMULATOR_AUTH_CODE', 'ghl-emulator-auth-code'),
    userId: 'EmulatorUser00000001',
    accessTokenTtlSeconds: envNumber('GHL_EMULATOR_ACCESS_TOKEN_TTL_SECONDS', 86_399),
    apiVersions: envString('GHL_EMULATOR_API_VERSIONS', '2021-07-28').split(',').map((v) => v.trim()).filter(Boolean),
    rateLimitMax: envNumber('GHL_EMULATOR_RATE_LIMIT_MAX', 100),
    rateLimitIntervalMs: envNumber('GHL_EMULATOR_RATE_LIMIT_INTERVAL_MS', 10_000),
    dailyLimit: envNumber('GHL_EMULATOR_DAILY_LIMIT', 200_000),
    webhookMaxAttempts: envNumber('GHL_EMULATOR_WEBHOOK_MAX_ATTEMPTS', 6),
    webhookRetryBaseMs: envNumber('GHL_EMULATOR_WEBHOOK_RETRY_BASE_MS', 1000),
    webhookRetryMaxMs: envNumber('GHL_EMULATOR_WEBHOOK_RETRY_MAX_MS', 60_000),
    webhookTimeoutMs: envNumber('GHL_EMULATOR_WEBHOOK_TIMEOUT_MS', 5000),
    webhookTargetUrl: process.env.GHL_EMULATOR_WEBHOOK_URL || null,
    legacySignature: process.env.GHL_EMULATOR_LEGACY_SIGNATURE === '1',
    dataDir: envString('GHL_EMULATOR_DATA_DIR', path.join(REPO_ROOT, '.data', 'emulators', 'gohighlevel')),
    webhookPrivateKey: process.env.GHL_EMULATOR_WEBHOOK_PRIVATE_KEY || null,
    ...overrides,
  };
}
