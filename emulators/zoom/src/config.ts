// Settings of the Zoom emulator, from the environment. The defaults are
// development credentials, known to every test: never real Zoom secrets.

export interface ZoomEmulatorConfig {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  accountId: string;
  clientId: string;
  clientSecret: string;
  /** The app's webhook "secret token": signs webhooks and URL validation. */
  webhookSecretToken: string;
  /** Lifetime of an access token (Zoom: one hour). */
  tokenTtlSeconds: number;
  /** Pauses before each retry of a webhook that did not get a 2xx (Zoom: 5, 30, 90 min). */
  webhookRetryDelaysMs: number[];
  /** Zoom waits 3 s for a webhook answer before counting the attempt as failed. */
  webhookTimeoutMs: number;
}

export const ZOOM_EMULATOR_DEFAULTS: ZoomEmulatorConfig = {
  host: '127.0.0.1',
  port: 4010,
  accountId: 'emulator-account',
  clientId: 'emulator-client-id',
  clientSecret: 'emulator-client-secret',
  webhookSecretToken: 'emulator-webhook-secret',
  tokenTtlSeconds: 3600,
  webhookRetryDelaysMs: [1_000, 5_000, 30_000],
  webhookTimeoutMs: 3_000,
};

export function loadZoomEmulatorConfig(env: NodeJS.ProcessEnv = process.env): ZoomEmulatorConfig {
  const d = ZOOM_EMULATOR_DEFAULTS;
  return {
    host: env.ZOOM_EMULATOR_HOST || d.host,
    port: env.ZOOM_EMULATOR_PORT ? Number(env.ZOOM_EMULATOR_PORT) : d.port,
    accountId: env.ZOOM_EMULATOR_ACCOUNT_ID || d.accountId,
    clientId: env.ZOOM_EMULATOR_CLIENT_ID || d.clientId,
    clientSecret: env.ZOOM_EMULATOR_CLIENT_SECRET || d.clientSecret,
    webhookSecretToken: env.ZOOM_EMULATOR_WEBHOOK_SECRET || d.webhookSecretToken,
    tokenTtlSeconds: env.ZOOM_EMULATOR_TOKEN_TTL_SECONDS
      ? Number(env.ZOOM_EMULATOR_TOKEN_TTL_SECONDS)
      : d.tokenTtlSeconds,
    webhookRetryDelaysMs: env.ZOOM_EMULATOR_WEBHOOK_RETRY_DELAYS_MS
      ? env.ZOOM_EMULATOR_WEBHOOK_RETRY_DELAYS_MS.split(',').filter(Boolean).map(Number)
      : d.webhookRetryDelaysMs,
    webhookTimeoutMs: d.webhookTimeoutMs,
  };
}
