// Maps every error a request can end in to problem+json. Typed domain and
// event-store errors keep their meaning (404, 409, 422); Nest's HTTP
// exceptions keep their status; body-parser failures become 400/413; what
// is left is a 500 whose cause goes to the log, never to the client.
import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { DomainError } from '@engagement/decider';
import {
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from '@engagement/event-store';
import type { Request, Response } from 'express';
import {
  problem,
  ProblemError,
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
} from './problem-details';

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const body: ProblemDetails = {
      ...toProblem(error),
      instance: request.originalUrl ?? request.url,
    };
    // Deliberate 5xx answers (503 from /ready, 502 from a proxy) are not bugs: only the unexpected are logged with a stack.
    if (
      body.status >= 500 &&
      !(error instanceof HttpException) &&
      !(error instanceof ProblemError)
    ) {
      this.logger.error(
        `${request.method} ${request.originalUrl}: ${(error as Error)?.stack ?? String(error)}`,
      );
    }
    if (
      (body.status === 429 || body.status === 503) &&
      typeof body.retryAfterSeconds === 'number'
    ) {
      response.setHeader('Retry-After', String(body.retryAfterSeconds));
    }
    response.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }
}

export function toProblem(error: unknown): ProblemDetails {
  if (error instanceof ProblemError) return error.problem;
  if (error instanceof DomainError) {
    return problem(
      error.status,
      error.code,
      error.message,
      Object.keys(error.details).length ? { details: error.details } : {},
    );
  }
  if (error instanceof WrongExpectedRevisionError) {
    return problem(
      409,
      'concurrency-conflict',
      'The resource was changed by another request; read it again and retry',
      {
        details: {
          expectedRevision: String(error.expected),
          actualRevision: error.actual === null ? null : String(error.actual),
        },
      },
    );
  }
  if (error instanceof DuplicateEventIdError)
    return problem(409, 'duplicate-request', error.message);
  if (error instanceof InvalidAppendError) return problem(422, 'invalid-event', error.message);
  const bodyParserType = (error as { type?: string })?.type;
  if (bodyParserType === 'entity.too.large')
    return problem(413, 'body-too-large', 'The request body is larger than allowed');
  if (bodyParserType === 'entity.parse.failed')
    return problem(400, 'malformed-json', 'The request body is not valid JSON');
  if (bodyParserType === 'encoding.unsupported' || bodyParserType === 'charset.unsupported') {
    return problem(415, 'unsupported-encoding', 'The request body encoding is not supported');
  }
  // Other client errors of the body parser (http-errors: aborted request, bad length...) keep their 4xx.
  const parserStatus = (error as { status?: unknown; expose?: unknown })?.status;
  if (
    bodyParserType &&
    typeof parserStatus === 'number' &&
    parserStatus >= 400 &&
    parserStatus < 500
  ) {
    return problem(parserStatus, bodyParserType.replace(/\./g, '-'), (error as Error).message);
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : String((response as { message?: unknown }).message ?? error.message);
    return problem(status, status === 404 ? 'not-found' : `http-${status}`, message);
  }
  if (isDatabaseUnavailable(error)) {
    // Nothing was decided: the client may send the same request again.
    return problem(
      503,
      'database-unavailable',
      'The database cannot take this request now; retry shortly',
      {
        retryAfterSeconds: 1,
      },
    );
  }
  return problem(500, 'internal-error', 'Something went wrong on our side; it has been logged');
}

/**
 * PostgreSQL refusing or losing connections (too many clients, shutting
 * down, cannot connect now, connection refused): the server's state, not a
 * bug of ours, answered 503 so that clients and the gateway retry.
 */
function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return (
    code === '53300' || // too_many_connections
    code === '57P01' || // admin_shutdown
    code === '57P03' || // cannot_connect_now
    code === 'ECONNREFUSED'
  );
}
