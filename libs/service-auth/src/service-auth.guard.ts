// The guard every service puts in front of all its routes: a request must
// carry a valid service token addressed to this service (401 otherwise),
// with the scope the route needs (403 otherwise). A route's scope is what
// @RequireScopes says on it or its controller; without one, GET and HEAD
// need `read` and every other method `write`. @Public() routes (health,
// provider webhooks and signed tracking links, which authenticate by their
// own signature) pass without a token.
//
// The verified caller is attached to the request, where requestContext()
// of @engagement/http reads the actor for event metadata: no actor or scope
// is ever taken from a plain header.
import { SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import {
  problem,
  ProblemError,
  setVerifiedCaller,
  verifiedCaller,
  type VerifiedCaller,
} from '@engagement/http';
import type { Request } from 'express';
import { hasScope, InvalidServiceTokenError, verifyServiceToken } from './service-token';

const SCOPES_KEY = 'engagement:required-scopes';
const PUBLIC_KEY = 'engagement:public-route';

/** The scopes a route needs (all of them). */
export const RequireScopes = (...scopes: string[]) => SetMetadata(SCOPES_KEY, scopes);

/** A route that answers without a service token (it authenticates otherwise, or not at all). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

const READ_METHODS = new Set(['GET', 'HEAD']);

/** The paths every service answers without a token: probes and its API document. */
const OPEN_PATHS = new Set(['/health', '/ready', '/openapi.json']);

export function bearerToken(request: Request): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header);
  return match ? match[1]! : null;
}

/** The verified caller of a request that passed the guard. */
export function callerOf(request: Request): VerifiedCaller {
  const caller = verifiedCaller(request);
  if (!caller) throw new Error('callerOf: the request did not pass ServiceAuthGuard');
  return caller;
}

export class ServiceAuthGuard implements CanActivate {
  constructor(
    private readonly key: Buffer,
    /** This service's name: tokens must be addressed to it. */
    private readonly audience: string,
    private readonly reflector: Reflector,
    private readonly now: () => number = Date.now,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<Request>();
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    if (OPEN_PATHS.has(request.path)) return true;

    const token = bearerToken(request);
    if (!token) {
      throw new ProblemError(
        problem(401, 'unauthenticated', 'A service token (Authorization: Bearer) is required'),
      );
    }
    let caller: VerifiedCaller;
    try {
      const claims = verifyServiceToken(this.key, token, this.audience, this.now());
      caller = {
        subject: claims.subject,
        actor: claims.actor,
        scopes: claims.scopes,
        requestId: claims.requestId,
      };
    } catch (error) {
      if (error instanceof InvalidServiceTokenError) {
        throw new ProblemError(
          problem(401, 'invalid-token', `Service token refused: ${error.message}`),
        );
      }
      throw error;
    }
    const needed = this.reflector.getAllAndOverride<string[]>(SCOPES_KEY, targets) ?? [
      READ_METHODS.has(request.method) ? 'read' : 'write',
    ];
    const missing = needed.filter((scope) => !hasScope(caller.scopes, scope));
    if (missing.length > 0) {
      throw new ProblemError(
        problem(403, 'insufficient-scope', `This needs the scope ${missing.join(', ')}`, {
          requiredScopes: needed,
        }),
      );
    }
    setVerifiedCaller(request, caller);
    return true;
  }
}
