// The HubSpot emulator assembled: state (store, credentials, webhooks), the
// checks every public request goes through (injected faults, bearer token,
// rate limits), the public API and the admin API. `createHubSpotEmulator`
// is what tests start in-process; main.ts starts it for `npm start`.
import {
  createRouter,
  DailyCounter,
  FaultInjector,
  json,
  listen,
  Middleware,
  Reply,
  Request,
  RequestStats,
  RollingWindowLimiter,
  RunningServer,
  WebhookSender,
} from '@engagement/emulator-kit';
import { randomUUID } from 'node:crypto';
import { adminRoutes } from './admin';
import { apiRoutes } from './api';
import { Auth, Caller } from './auth';
import { configFromEnv, HubSpotEmulatorConfig } from './config';
import { hubspotError } from './errors';
import { PropertyCatalogue } from './properties';
import { Store } from './store';
import { HubSpotWebhooks, SUBSCRIPTION_TYPES } from './webhooks';

const SEARCH_PATH = '/crm/v3/objects/contacts/search';

export class HubSpotEmulator {
  readonly config: HubSpotEmulatorConfig;
  readonly store: Store;
  readonly catalogue = new PropertyCatalogue();
  readonly auth: Auth;
  readonly webhooks: HubSpotWebhooks;
  readonly faults = new FaultInjector();
  readonly stats = new RequestStats(10_000);
  readonly limiter: RollingWindowLimiter;
  readonly oauthLimiter: RollingWindowLimiter;
  readonly searchLimiter: RollingWindowLimiter;
  readonly daily: DailyCounter;
  private running: RunningServer | null = null;

  constructor(overrides: Partial<HubSpotEmulatorConfig> = {}) {
    this.config = configFromEnv(overrides);
    const c = this.config;
    this.auth = new Auth(c);
    this.limiter = new RollingWindowLimiter({ max: c.rateLimitMax, intervalMs: c.rateLimitIntervalMs });
    this.oauthLimiter = new RollingWindowLimiter({ max: c.oauthRateLimitMax, intervalMs: c.rateLimitIntervalMs });
    this.searchLimiter = new RollingWindowLimiter({ max: c.searchPerSecond, intervalMs: c.searchIntervalMs });
    this.daily = new DailyCounter(c.dailyLimit);
    this.webhooks = new HubSpotWebhooks(
      {
        targetUrl: c.webhookTargetUrl,
        subscriptions: [...SUBSCRIPTION_TYPES],
        propertyChangeProperties: null,
        batchDelayMs: c.webhookBatchDelayMs,
      },
      { portalId: c.portalId, appId: c.appId, clientSecret: () => this.config.clientSecret },
      new WebhookSender({
        maxAttempts: c.webhookMaxAttempts,
        retryBaseMs: c.webhookRetryBaseMs,
        retryMaxMs: c.webhookRetryMaxMs,
        timeoutMs: c.webhookTimeoutMs,
      }),
    );
    this.store = new Store((change) => this.webhooks.onChange(change));
  }

  url(): string {
    return this.running?.url ?? `http://${this.config.host}:${this.config.port}`;
  }

  async start(): Promise<RunningServer> {
    const handler = createRouter([...adminRoutes(this), ...apiRoutes(this)], {
      middleware: [this.gate()],
      notFound: (req) => hubspotError(404, 'OBJECT_NOT_FOUND', `No route for ${req.method} ${req.path}`),
    });
    this.running = await listen(handler, this.config.port, this.config.host);
    return this.running;
  }

  async close(): Promise<void> {
    this.webhooks.reset();
    await this.running?.close();
    this.running = null;
  }

  /** Back to the state at start: data, tokens, faults, counters, webhook switches (webhook target and limits stay). */
  reset(): void {
    this.store.reset();
    this.auth.reset();
    this.faults.reset();
    this.stats.reset();
    this.limiter.reset();
    this.oauthLimiter.reset();
    this.searchLimiter.reset();
    this.daily.reset();
    this.webhooks.reset();
  }

  /** Faults, authentication and rate limits for the public API, and the counters of it. */
  private gate(): Middleware {
    const internal = (req: Request) => req.path === '/health' || req.path.startsWith('/__emulator');
    return {
      before: (req) => {
        if (internal(req)) return undefined;
        const now = Date.now();
        const fault = this.faults.take(req.path, now);
        if (fault !== null) return this.faultReply(fault);
        if (req.path.startsWith('/oauth/')) return undefined;
        const auth = this.auth.authenticate(req.headers.authorization, now);
        if (!auth.ok) return hubspotError(401, auth.category, auth.message);
        req.locals.caller = auth.caller;
        req.locals.rateLimitKey = auth.caller.rateLimitKey;
        return this.rateLimit(req, auth.caller, now);
      },
      after: (req, reply) => {
        if (internal(req)) return;
        const limitHeaders = req.locals.rateLimitHeaders as Record<string, string> | undefined;
        if (limitHeaders) reply.headers = { ...limitHeaders, ...reply.headers };
        this.stats.record({
          endpoint: `${req.method} ${req.route === '(unmatched)' ? req.path : req.route}`,
          status: reply.status,
          key: (req.locals.rateLimitKey as string | undefined) ?? null,
          now: Date.now(),
          rateLimited: req.locals.rateLimited === true,
        });
      },
    };
  }

  private rateLimit(req: Request, caller: Caller, now: number): Reply | undefined {
    const account = `portal:${this.config.portalId}`;
    if (req.path === SEARCH_PATH && req.method === 'POST') {
      // Search has its own, stricter limit per account, and its answers carry no rate-limit headers.
      const d = this.searchLimiter.take(account, now);
      if (d.allowed) return undefined;
      req.locals.rateLimited = true;
      return this.tooMany('You have reached your secondly limit.', 'SECONDLY', 'publicapi:crm-search', d.retryAfterMs, {});
    }
    const limiter = caller.kind === 'oauth' ? this.oauthLimiter : this.limiter;
    const day = this.daily.take(account, now);
    const d = limiter.take(caller.rateLimitKey, now);
    const headers: Record<string, string> = {
      'x-hubspot-ratelimit-max': String(d.max),
      'x-hubspot-ratelimit-remaining': String(d.remaining),
      'x-hubspot-ratelimit-interval-milliseconds': String(d.intervalMs),
    };
    if (caller.kind === 'private-app') {
      headers['x-hubspot-ratelimit-daily'] = String(day.max);
      headers['x-hubspot-ratelimit-daily-remaining'] = String(day.remaining);
    }
    req.locals.rateLimitHeaders = headers;
    if (!day.allowed) {
      req.locals.rateLimited = true;
      return this.tooMany('You have reached your daily limit.', 'DAILY', `publicapi:${caller.rateLimitKey}`, day.resetMs, headers);
    }
    if (!d.allowed) {
      this.daily.untake(account);
      req.locals.rateLimited = true;
      return this.tooMany(
        'You have reached your ten_secondly_rolling limit.',
        'TEN_SECONDLY_ROLLING',
        `publicapi:${caller.rateLimitKey}`,
        d.retryAfterMs,
        headers,
      );
    }
    return undefined;
  }

  private tooMany(message: string, policyName: string, groupName: string, retryAfterMs: number, headers: Record<string, string>): Reply {
    return json(
      429,
      { status: 'error', message, errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName, groupName },
      { ...headers, 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
    );
  }

  private faultReply(status: number): Reply {
    if (status === 429)
      return this.tooMany('You have reached your ten_secondly_rolling limit.', 'TEN_SECONDLY_ROLLING', 'publicapi:injected-fault', 1000, {
        'x-hubspot-ratelimit-max': String(this.config.rateLimitMax),
        'x-hubspot-ratelimit-remaining': '0',
        'x-hubspot-ratelimit-interval-milliseconds': String(this.config.rateLimitIntervalMs),
      });
    const category = status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_ERROR';
    return hubspotError(status, category, status === 503 ? 'Service Unavailable' : 'internal error (injected by the emulator)');
  }
}

export async function startHubSpotEmulator(overrides: Partial<HubSpotEmulatorConfig> = {}) {
  const emulator = new HubSpotEmulator(overrides);
  await emulator.start();
  return emulator;
}
