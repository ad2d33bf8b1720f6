// The context a command is decided in, built from the HTTP request: who
// asks and which request this is (requestContext of @engagement/http), the
// time, read once here so that deciders never read a clock, and the
// client's Idempotency-Key when the gateway forwarded one (header
// `idempotency-key`): the request's event ids then derive from it, scoped
// to the verified caller and the route, so that a retry after a timeout is
// recognised instead of applied twice (idempotency.ts of @engagement/decider).
import {
  idempotentRequest,
  type CommandContext,
  type IdempotentRequest,
} from '@engagement/decider';
import { problem, ProblemError, requestContext, verifiedCaller } from '@engagement/http';
import type { Request } from 'express';

/** As the gateway accepts it: 1 to 255 printable ASCII characters. */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * One per request, however many contexts are built from it: its count of
 * events appended per stream must be shared, or a second append to a stream
 * would be taken for a retry of the first.
 */
const perRequest = new WeakMap<Request, IdempotentRequest>();

export function commandContext(request: Request): CommandContext {
  const { actor, correlationId, traceparent } = requestContext(request);
  return {
    now: new Date(),
    actor,
    correlationId,
    causationId: null,
    traceparent,
    idempotency: idempotencyOf(request),
  };
}

function idempotencyOf(request: Request) {
  const header = request.headers['idempotency-key'];
  if (header === undefined || request.method === 'GET' || request.method === 'HEAD') return null;
  if (typeof header !== 'string' || !VALID_KEY.test(header)) {
    throw new ProblemError(
      problem(
        400,
        'invalid-idempotency-key',
        'Idempotency-Key must be 1 to 255 printable ASCII characters',
      ),
    );
  }
  const known = perRequest.get(request);
  if (known) return known;
  const caller = verifiedCaller(request)?.subject ?? 'anonymous';
  const made = idempotentRequest(header, { caller, method: request.method, path: request.path });
  perRequest.set(request, made);
  return made;
}

/** A context for work the service does by itself (workers, consumers, repairs). */
export function systemContext(
  actor: string,
  correlationId: string,
  causationId: string | null = null,
): CommandContext {
  return { now: new Date(), actor, correlationId, causationId, traceparent: null };
}
