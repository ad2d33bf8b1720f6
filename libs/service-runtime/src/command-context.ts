// The context a command is decided in, built from the HTTP request: who
// asks and which request this is (requestContext of @engagement/http), and
// the time, read once here so that deciders never read a clock.
import type { CommandContext } from '@engagement/decider';
import { requestContext } from '@engagement/http';
import type { Request } from 'express';

export function commandContext(request: Request): CommandContext {
  const { actor, correlationId, traceparent } = requestContext(request);
  return { now: new Date(), actor, correlationId, causationId: null, traceparent };
}

/** A context for work the service does by itself (workers, consumers, repairs). */
export function systemContext(
  actor: string,
  correlationId: string,
  causationId: string | null = null,
): CommandContext {
  return { now: new Date(), actor, correlationId, causationId, traceparent: null };
}
