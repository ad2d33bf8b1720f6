// Provider facts as data, not code (after Nango): where a provider's API
// lives, how it authenticates, and the rate budgets it documents. Adapters
// and the kit read these; adding a CRM starts with one more entry here.
// Figures come from /work/shared/PROVIDERS.md (December 2026) and stay
// overridable, since plans differ per account.

export type AuthMode = 'oauth2' | 'private_app_token' | 'api_key';

/** A budget of `requests` per `intervalMs`, as the provider counts it. */
export interface RateBudget {
  requests: number;
  intervalMs: number;
}

export interface ProviderFacts {
  /** The provider key used in syncToCrms, topics (`crm.<key>`) and schemas. */
  key: 'hubspot' | 'gohighlevel';
  displayName: string;
  /** The environment variable that points the adapter elsewhere (the emulators in tests). */
  baseUrlEnv: string;
  defaultBaseUrl: string;
  authModes: AuthMode[];
  /** Token endpoint, relative to the base URL, for OAuth2 refreshes. */
  tokenPath: string;
  /** The budget every call counts against (per integration: per app and account/location). */
  burst: RateBudget;
  /** A stricter budget for search calls, where the provider has one. */
  search: RateBudget | null;
  /** A daily budget, where the provider has one. */
  daily: RateBudget | null;
  /** How many records one batch call takes. */
  maxBatchSize: number;
  /** The header that says how long to wait after a 429 (seconds). */
  retryAfterHeader: string;
  /** Extra headers every call sends. */
  fixedHeaders: Record<string, string>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const HUBSPOT: ProviderFacts = {
  key: 'hubspot',
  displayName: 'HubSpot',
  baseUrlEnv: 'HUBSPOT_API_BASE',
  defaultBaseUrl: 'https://api.hubapi.com',
  authModes: ['private_app_token', 'oauth2'],
  tokenPath: '/oauth/v1/token',
  // Private apps on Professional/Enterprise: 190 per 10 s; search 5/s per
  // account, of which we allow ourselves 4 (the figure).
  burst: { requests: 190, intervalMs: 10_000 },
  search: { requests: 4, intervalMs: 1_000 },
  daily: null,
  maxBatchSize: 100,
  retryAfterHeader: 'retry-after',
  fixedHeaders: {},
};

export const GOHIGHLEVEL: ProviderFacts = {
  key: 'gohighlevel',
  displayName: 'GoHighLevel',
  baseUrlEnv: 'GHL_API_BASE',
  defaultBaseUrl: 'https://services.leadconnectorhq.com',
  authModes: ['private_app_token', 'oauth2'],
  tokenPath: '/oauth/token',
  // Per app per location: 100 per 10 s and 200,000 per day.
  burst: { requests: 100, intervalMs: 10_000 },
  search: null,
  daily: { requests: 200_000, intervalMs: DAY_MS },
  // The upsert takes one contact per call.
  maxBatchSize: 1,
  retryAfterHeader: 'retry-after',
  fixedHeaders: { Version: '2021-07-28' },
};

export const PROVIDERS: Record<ProviderFacts['key'], ProviderFacts> = {
  hubspot: HUBSPOT,
  gohighlevel: GOHIGHLEVEL,
};

/** The provider's base URL from the environment, without a trailing slash. */
export function providerBaseUrl(facts: ProviderFacts, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[facts.baseUrlEnv]?.trim() || facts.defaultBaseUrl;
  return value.replace(/\/+$/, '');
}
