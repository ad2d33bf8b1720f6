// Who is asking and which request this is, so that every event a request
// causes carries them in its metadata. The actor comes only from the
// verified service token (ServiceAuthGuard of @engagement/service-auth puts
// the caller on the request); the correlation id and trace from the
// gateway's x-correlation-id and traceparent headers.
import { randomUUID } from 'node:crypto';
import { currentTraceparent } from '@engagement/observability';
import type { Request } from 'express';

export interface RequestContext {
  actor: string;
  correlationId: string;
  traceparent: string | null;
}

/** The caller a verified service token names. */
export interface VerifiedCaller {
  /** `apikey:<id>` or `service:<name>`. */
  subject: string;
  actor: string;
  scopes: string[];
  requestId: string;
}

const callers = new WeakMap<object, VerifiedCaller>();

export function setVerifiedCaller(request: Request, caller: VerifiedCaller): void {
  callers.set(request, caller);
}

export function verifiedCaller(request: Request): VerifiedCaller | undefined {
  return callers.get(request);
}

export function requestContext(request: Request): RequestContext {
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : null;
  };
  const caller = callers.get(request);
  return {
    actor: caller?.actor ?? 'anonymous',
    correlationId: header('x-correlation-id') ?? caller?.requestId ?? randomUUID(),
    // The service's own request span when telemetry runs, so events point at it; else the caller's.
    traceparent: currentTraceparent() ?? header('traceparent'),
  };
}
