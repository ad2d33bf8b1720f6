// Who is asking and which request this is, read from the headers the
// gateway sets (x-actor, x-correlation-id, traceparent), so that every event
// a request causes carries them in its metadata.
import { randomUUID } from 'node:crypto';
import { currentTraceparent } from '@engagement/observability';
import type { Request } from 'express';

export interface RequestContext {
  actor: string;
  correlationId: string;
  traceparent: string | null;
}

export function requestContext(request: Request): RequestContext {
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : null;
  };
  return {
    actor: header('x-actor') ?? 'anonymous',
    correlationId: header('x-correlation-id') ?? randomUUID(),
    // The service's own request span when telemetry runs, so events point at it; else the caller's.
    traceparent: currentTraceparent() ?? header('traceparent'),
  };
}
