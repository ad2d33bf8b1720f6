// What the gateway learns about a request on its way in, attached to the
// Express request so that guards, the proxy and the access log share it.
import type { Request } from 'express';
import type { Scope } from '../api-keys/api-key';
import { parseRequestPath, type RequestPath } from './request-path';

export interface Caller {
  /** The API key's id: the actor recorded in every event the request causes. */
  apiKeyId: string;
  scopes: Scope[];
}

export interface GatewayRequest extends Request {
  /** Set by the correlation middleware on every request. */
  correlationId: string;
  /** Set by ApiKeyGuard once the key is known; past the guards it is also authorised. */
  caller?: Caller;
  /** The path as requestPathOf() read it, once per request. */
  requestPath?: RequestPath;
}

/**
 * The request's path read once (parseRequestPath), so the guard that
 * decides on it and the proxy that forwards it use the same reading
 * without parsing twice.
 */
export function requestPathOf(request: GatewayRequest): RequestPath {
  return (request.requestPath ??= parseRequestPath(request.path));
}

export function callerOf(request: Request): Caller {
  const caller = (request as GatewayRequest).caller;
  // Only reachable if a route were registered outside the guards.
  if (!caller) throw new Error('no authenticated caller on this request');
  return caller;
}
