// Wires the gateway. A request meets, in order:
//   1. correlationMiddleware      correlation id, access log       (http/)
//   2. ApiKeyGuard                401 / 403, keys cached briefly,  (api-keys/)
//                                 429 per address after failures
//   3. RateLimitGuard             429                              (rate-limit/)
//   4. a controller: the gateway's own (health, openapi, api-keys) or
//      ProxyController, which forwards to the upstream             (proxy/, idempotency/)
// and any error on the way becomes problem+json (@engagement/http's filter).
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { HealthController, READINESS_CHECKS } from '@engagement/http';
import { Pool } from 'pg';
import { ApiKeyGuard } from './api-keys/api-key.guard';
import { ApiKeyStore } from './api-keys/api-key.store';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeyRevocationListener } from './api-keys/revocation-listener';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { readinessChecks } from './health/readiness';
import { flushAccessLog } from './http/access-log';
import { IdempotencyService } from './idempotency/idempotency.service';
import { OpenApiController } from './openapi/openapi.controller';
import { OpenApiService } from './openapi/openapi.service';
import { ProxyController } from './proxy/proxy.controller';
import { ProxyService } from './proxy/proxy.service';
import { UpstreamPools } from './proxy/upstream-pool';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { FailedAuthLimiter } from './rate-limit/failed-auth-limiter';
import { TokenBuckets } from './rate-limit/token-bucket';

/**
 * The pool is made before the app (migrations run first); the app closes it
 * last. Buffered access-log lines are written out then too.
 */
@Injectable()
class ClosePoolOnShutdown implements OnApplicationShutdown {
  constructor(@Inject(Pool) private readonly pool: Pool) {}
  async onApplicationShutdown(): Promise<void> {
    flushAccessLog();
    await this.pool.end();
  }
}

@Module({})
export class AppModule {
  static register(config: GatewayConfig, pool: Pool, clock?: () => number): DynamicModule {
    return {
      module: AppModule,
      // Express tries routes in this order: ProxyController's catch-all
      // `api/*path` must come after the gateway's own /api routes.
      controllers: [HealthController, OpenApiController, ApiKeysController, ProxyController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: Pool, useValue: pool },
        {
          provide: ApiKeyStore,
          useValue: new ApiKeyStore(pool, config.schema, { cacheTtlMs: config.apiKeyCacheTtlMs }),
        },
        ApiKeyRevocationListener,
        {
          provide: TokenBuckets,
          useValue: new TokenBuckets(config.rateLimitPerSecond, config.rateLimitBurst, clock),
        },
        {
          provide: FailedAuthLimiter,
          useValue: new FailedAuthLimiter(config.authFailurePerSecond, config.authFailureBurst),
        },
        { provide: READINESS_CHECKS, useValue: readinessChecks(pool, config) },
        UpstreamPools,
        ProxyService,
        IdempotencyService,
        OpenApiService,
        ClosePoolOnShutdown,
        // Global guards run in the order they are listed: who, then how often.
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
      ],
    };
  }
}
