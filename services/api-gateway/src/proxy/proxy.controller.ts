// Every /api request the gateway does not answer itself ends here, after
// ApiKeyGuard (who is calling, may they) and RateLimitGuard (not too often).
// In order: find the upstream in the routing table (404 if none), read the
// body within its limit (413), then forward it, through the idempotency
// record when the client sent an Idempotency-Key (which also goes to the
// service: a retry the record cannot answer, after a 502/504, is recognised
// there by its event ids), and write back the answer.
import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { problem, ProblemError } from '@engagement/http';
import { raw, type Response } from 'express';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { requiredScope } from '../api-keys/access-rules';
import { callerOf, requestPathOf, type Caller, type GatewayRequest } from '../http/gateway-request';
import {
  idempotencyKeyOf,
  IdempotencyService,
  requestFingerprint,
} from '../idempotency/idempotency.service';
import { ProxyService } from './proxy.service';
import { resolveRoute, takesLargeBody } from './routes';
import { writeUpstreamResponse } from './upstream-response';

/** Who a request on a public path is: no key, no scope (the service checks its signature). */
const ANONYMOUS: Caller = { apiKeyId: 'anonymous', scopes: [] };

const FORWARDED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

type BodyReader = ReturnType<typeof raw>;

@ApiExcludeController()
@Controller()
export class ProxyController {
  private readonly readBody: BodyReader;
  private readonly readLargeBody: BodyReader;

  constructor(
    @Inject(ProxyService) private readonly proxy: ProxyService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    // Bodies are read as bytes and forwarded as they came: the upstream
    // validates them. The limit is checked while reading (and against
    // Content-Length before), so an oversized body is a 413 without being
    // held in memory. type: any content type (JSON, CSV, JSON lines).
    this.readBody = raw({ limit: config.bodyLimit, type: () => true });
    this.readLargeBody = raw({ limit: config.importBodyLimit, type: () => true });
  }

  @All('api/*path')
  async forward(@Req() request: GatewayRequest, @Res() response: Response): Promise<void> {
    const path = requestPathOf(request);
    const route = resolveRoute(path);
    if (!route) {
      throw new ProblemError(problem(404, 'route-not-found', `No API route ${request.path}`));
    }
    if (!FORWARDED_METHODS.has(request.method)) {
      throw new ProblemError(
        problem(405, 'method-not-allowed', `${request.method} is not supported`),
      );
    }
    const reader = takesLargeBody(request.method, path) ? this.readLargeBody : this.readBody;
    const body = await readBodyWith(reader, request, response);

    // Public paths (signed tracking links, provider callbacks) come without a key.
    const caller = requiredScope(request.method, path) === 'public' ? ANONYMOUS : callerOf(request);
    const queryStart = request.originalUrl.indexOf('?');
    const key = idempotencyKeyOf(request.method, request.headers['idempotency-key']);
    const send = () =>
      this.proxy.forward({
        upstream: route.upstream,
        path: route.upstreamPath,
        search: queryStart >= 0 ? request.originalUrl.slice(queryStart) : '',
        method: request.method,
        headers: request.headers,
        body,
        apiKeyId: caller.apiKeyId,
        scopes: caller.scopes,
        correlationId: request.correlationId,
        clientAddress: request.socket.remoteAddress,
        idempotencyKey: key,
      });

    const answer = key
      ? await this.idempotency.execute(
          {
            apiKeyId: caller.apiKeyId,
            key,
            fingerprint: requestFingerprint(request.method, request.originalUrl, body),
          },
          send,
        )
      : await send();
    writeUpstreamResponse(response, answer);
  }
}

/**
 * Runs body-parser's raw reader. The problem filter maps its 413 and 415;
 * its other client errors (body shorter than Content-Length, upload
 * aborted, broken gzip) keep their 4xx status here instead of becoming 500s.
 */
function readBodyWith(
  reader: BodyReader,
  request: GatewayRequest,
  response: Response,
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    reader(request, response, (error?: unknown) => {
      if (error) return reject(asClientError(error));
      const body: unknown = request.body;
      resolve(Buffer.isBuffer(body) && body.length > 0 ? body : undefined);
    });
  });
}

function asClientError(error: unknown): unknown {
  const { status, type } = error as { status?: unknown; type?: unknown };
  if (type === 'entity.too.large' || type === 'encoding.unsupported') return error;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ProblemError(
      problem(status, 'unreadable-body', 'The request body could not be read'),
    );
  }
  return error;
}
