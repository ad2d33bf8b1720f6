// The second guard: once the key is known, it spends one token of that
// key's bucket. Every authenticated response carries the RateLimit-Limit,
// -Remaining and -Reset headers (IETF httpapi draft) so well-behaved clients
// can slow down before they hit the limit; a refused request is a 429
// problem with Retry-After.
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { problem, ProblemError } from '@engagement/http';
import type { Response } from 'express';
import type { GatewayRequest } from '../http/gateway-request';
import { TokenBuckets } from './token-bucket';

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(@Inject(TokenBuckets) private readonly buckets: TokenBuckets) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    // Public endpoints (health, docs) have no key and no bucket.
    if (!request.caller) return true;
    const decision = this.buckets.take(request.caller.apiKeyId);
    const response = context.switchToHttp().getResponse<Response>();
    response.setHeader('RateLimit-Limit', String(this.buckets.burst));
    response.setHeader('RateLimit-Remaining', String(decision.remaining));
    response.setHeader('RateLimit-Reset', String(decision.resetSeconds));
    if (!decision.allowed) {
      // The problem filter turns retryAfterSeconds into the Retry-After header.
      throw new ProblemError(
        problem(429, 'rate-limited', 'Too many requests for this API key; retry later', {
          retryAfterSeconds: decision.retryAfterSeconds,
        }),
      );
    }
    return true;
  }
}
