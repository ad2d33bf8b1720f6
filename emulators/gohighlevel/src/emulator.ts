// The GoHighLevel emulator assembled: state (store, credentials, webhook keys
// and sender), the checks every public request goes through (injected
// faults, the Version header, bearer token, rate limits per app per
// location), the public API and the admin API. `createGhlEmulator` is what
// tests start in-process; main.ts starts it for `npm start`.
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
import { adminRoutes } from './admin';
import { apiRoutes } from './api';
import { Auth } from './auth';
import { configFromEnv, GhlEmulatorConfig } from './config';
import { ghlError } from './errors';
import { Store } from './store';
import { EVENT_TYPES, GhlWebhooks, WebhookKeys } from './webhooks';

export class GhlEmulator {
  readonly config: GhlEmulatorConfig;
  readonly store: Store;
  readonly auth: Auth;
  readonly webhooks: GhlWebhooks;
  readonly faults = new FaultInjector();
  readonly stats = new RequestStats(10_000);
  readonly limiter: RollingWindowLimiter;
  readonly daily: DailyCounter;
  /** Whether the public API's own writes send webhooks too (GoHighLevel sends them for every change). */
  echoApiChanges = true;
  private running: RunningServer | null = null;
  private inAdminEdit = false;

  constructor(overrides: Partial<GhlEmulatorConfig> = {}) {
    this.config = configFromEnv(overrides);
    const c = this.config;
    this.auth = new Auth(c);
    this.limiter = new RollingWindowLimiter({ max: c.rateLimitMax, intervalMs: c.rateLimitIntervalMs });
    this.daily = new DailyCounter(c.dailyLimit);
    this.webhooks = new GhlWebhooks(
      { targetUrl: c.webhookTargetUrl, events: [...EVENT_TYPES], legacySignature: c.legacySignature },
      new WebhookKeys(c.dataDir, c.webhookPrivateKey),
      () => this.auth.appId(),
      new WebhookSender({
        maxAttempts: c.webhookMaxAttempts,
        retryBaseMs: c.webhookRetryBaseMs,
        retryMaxMs: c.webhookRetryMaxMs,
        timeoutMs: c.webhookTimeoutMs,
      }),
    );
    this.store = new Store((change) => {
      if (this.inAdminEdit || this.echoApiChanges) this.webhooks.onChange(change);
    });
  }

  url(): string {
    return this.running?.url ?? `http://${this.config.host}:${this.config.port}`;
  }

  async start(): Promise<RunningServer> {
    const handler = createRouter([...adminRoutes(this), ...apiRoutes(this)], {
      middleware: [this.gate()],
      notFound: (req) => ghlError(404, `Cannot ${req.method} ${req.path}`),
    });
    this.running = await listen(handler, this.config.port, this.config.host);
    return this.running;
  }

  async close(): Promise<void> {
    this.webhooks.reset();
    await this.running?.close();
    this.running = null;
  }

  /** An edit "as a GoHighLevel user" (admin API): always sends its webhooks. */
  asUser<T>(edit: () => T): T {
    this.inAdminEdit = true;
    try {
      return edit();
    } finally {
      this.inAdminEdit = false;
    }
  }

  /** Back to the state at start: data, tokens, faults, counters, webhook switches (webhook target, keys and limits stay). */
  reset(): void {
    this.store.reset();
    this.auth.reset();
    this.faults.reset();
    this.stats.reset();
    this.limiter.reset();
    this.daily.reset();
    this.webhooks.reset();
    this.echoApiChanges = true;
  }

  private gate(): Middleware {
    const internal = (req: Request) => req.path === '/health' || req.path.startsWith('/__emulator');
    return {
      before: (req) => {
        if (internal(req)) return undefined;
        const now = Date.now();
        const fault = this.faults.take(req.path, now);
        if (fault !== null) return this.faultReply(fault);
        if (req.path.startsWith('/oauth/')) return undefined;
        const version = req.headers.version;
        if (typeof version !== 'string' || version === '') return ghlError(400, 'Version header was not found');
        if (!this.config.apiVersions.includes(version))
          return ghlError(400, `Version ${version} is not supported for this endpoint; use ${this.config.apiVersions.join(' or ')}`);
        const auth = this.auth.authenticate(req.headers.authorization, now);
        if (!auth.ok) return ghlError(401, auth.message);
        req.locals.caller = auth.caller;
        req.locals.rateLimitKey = auth.caller.burstKey;
        return this.rateLimit(req, auth.caller.burstKey, auth.caller.dailyKey, now);
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

  private rateLimit(req: Request, burstKey: string, dailyKey: string, now: number): Reply | undefined {
    const day = this.daily.take(dailyKey, now);
    const burst = day.allowed ? this.limiter.take(burstKey, now) : { allowed: false, max: this.limiter.getLimit().max, remaining: 0, intervalMs: this.limiter.getLimit().intervalMs, retryAfterMs: 0 };
    if (day.allowed && !burst.allowed) this.daily.untake(dailyKey);
    const headers: Record<string, string> = {
      'x-ratelimit-limit-daily': String(day.max),
      'x-ratelimit-daily-remaining': String(day.allowed && !burst.allowed ? day.remaining + 1 : day.remaining),
      'x-ratelimit-interval-milliseconds': String(burst.intervalMs),
      'x-ratelimit-max': String(burst.max),
      'x-ratelimit-remaining': String(burst.remaining),
    };
    req.locals.rateLimitHeaders = headers;
    if (day.allowed && burst.allowed) return undefined;
    req.locals.rateLimited = true;
    const retryAfterMs = day.allowed ? burst.retryAfterMs : day.resetMs;
    return json(
      429,
      { statusCode: 429, message: day.allowed ? 'Too many requests' : 'Daily API limit exceeded', error: 'Too Many Requests' },
      { ...headers, 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
    );
  }

  private faultReply(status: number): Reply {
    if (status === 429)
      return json(
        429,
        { statusCode: 429, message: 'Too many requests', error: 'Too Many Requests' },
        {
          'x-ratelimit-max': String(this.config.rateLimitMax),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-interval-milliseconds': String(this.config.rateLimitIntervalMs),
          'retry-after': '1',
        },
      );
    return ghlError(status, status === 503 ? 'Service Unavailable' : 'Internal server error (injected by the emulator)');
  }
}

export async function startGhlEmulator(overrides: Partial<GhlEmulatorConfig> = {}) {
  const emulator = new GhlEmulator(overrides);
  await emulator.start();
  return emulator;
}
