// The context a command is decided in, built from the HTTP request: who
// asks and which request this is (the gateway's x-actor, x-correlation-id
// and traceparent headers), and the time, read once here so that deciders
// never read a clock.
import type { CommandContext } from '@engagement/decider';
import { requestContext } from '@engagement/http';
import type { Request } from 'express';

export function commandContext(request: Request): CommandContext {
  const { actor, correlationId, traceparent } = requestContext(request);
  return { now: new Date(), actor, correlationId, causationId: null, traceparent };
}

/** A context for work the service does by itself (bulk imports, repairs). */
export function systemContext(actor: string, correlationId: string): CommandContext {
  return { now: new Date(), actor, correlationId, causationId: null, traceparent: null };
}
