// The first guard every request passes: who is calling, and may they do
// this? `Authorization: Bearer <key>` is looked up by its hash (through a
// cache of a few seconds, see ApiKeyStore.lookup); a missing,
// unknown or revoked key is a 401 with WWW-Authenticate (RFC 6750), a key
// without the scope the request needs (see access-rules.ts) a 403.
// Failed authentications are counted per client address
// (FailedAuthLimiter): an address that has spent its allowance gets a 429
// with Retry-After, and its keys are not looked up, unless the key is one
// the cache holds as valid.
import {
  Inject,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { problem, ProblemError } from '@engagement/http';
import type { Response } from 'express';
import { requestPathOf, type GatewayRequest } from '../http/gateway-request';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { addressKey, clientAddress, FailedAuthLimiter } from '../rate-limit/failed-auth-limiter';
import { requiredScope } from './access-rules';
import { allows } from './api-key';
import { ApiKeyStore, type ApiKeyRecord } from './api-key.store';

const REALM = 'Bearer realm="engagement-platform"';

@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);
  private readonly trustedProxies: ReadonlySet<string>;

  constructor(
    @Inject(ApiKeyStore) private readonly keys: ApiKeyStore,
    @Inject(FailedAuthLimiter) private readonly failures: FailedAuthLimiter,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.trustedProxies = new Set(config.trustedProxies);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const scope = requiredScope(request.method, requestPathOf(request));
    if (scope === 'public') return true;

    const address = addressKey(
      clientAddress(
        request.socket.remoteAddress,
        request.headers['x-forwarded-for'],
        this.trustedProxies,
      ),
    );
    const presented = bearerToken(request.headers.authorization);
    const key = await this.find(presented, address);
    if (!key || key.revokedAt) {
      this.failures.recordFailure(address);
      if (presented === null) {
        response.setHeader('WWW-Authenticate', REALM);
        throw new ProblemError(
          problem(401, 'missing-api-key', 'Send your API key as `Authorization: Bearer <key>`'),
        );
      }
      // One answer for unknown and revoked keys: the caller learns only that this key does not work.
      response.setHeader('WWW-Authenticate', `${REALM}, error="invalid_token"`);
      throw new ProblemError(problem(401, 'invalid-api-key', 'The API key is unknown or revoked'));
    }
    // Known from here on, also when refused below, so the access log names the key.
    request.caller = { apiKeyId: key.id, scopes: key.scopes };
    if (!allows(key.scopes, scope)) {
      response.setHeader(
        'WWW-Authenticate',
        `${REALM}, error="insufficient_scope", scope="${scope}"`,
      );
      const detail = `This request needs an API key with the ${scope} scope`;
      throw new ProblemError(problem(403, 'insufficient-scope', detail, { requiredScope: scope }));
    }
    this.keys.touch(key.id, (error) =>
      this.logger.warn(`could not record last use of key ${key.id}: ${(error as Error).message}`),
    );
    return true;
  }

  /**
   * The presented key's record, or null. An address out of failed attempts
   * is refused with a 429 here, before any lookup, unless the cache holds
   * its key as valid.
   */
  private async find(presented: string | null, address: string): Promise<ApiKeyRecord | null> {
    const retryAfterSeconds = this.failures.retryAfterSeconds(address);
    if (retryAfterSeconds === 0) return presented === null ? null : this.keys.lookup(presented);
    const cached = presented === null ? undefined : this.keys.cached(presented);
    if (cached && !cached.revokedAt) return cached;
    // The problem filter turns retryAfterSeconds into the Retry-After header.
    throw new ProblemError(
      problem(
        429,
        'too-many-failed-authentications',
        'Too many requests with missing, unknown or revoked API keys from this address; retry later',
        { retryAfterSeconds },
      ),
    );
  }
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer +(\S{1,512})\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}
