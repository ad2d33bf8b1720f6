// Sends one request to an upstream service and brings its answer back.
// What goes up: method, path, query, body, content-type and a few
// conditional/content-negotiation headers the client chose, plus who is
// asking (x-actor), which request this is (x-correlation-id) and the trace
// (traceparent). What never goes up: Authorization, cookies, and any
// x-actor the client tried to set itself. Upstream answers, errors included,
// come back with their status and body unchanged; an upstream that cannot
// be reached is a 502, one that does not answer in time a 504.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { problem, ProblemError } from '@engagement/http';
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import type { UpstreamResponse } from './upstream-response';

/** Client headers passed through as they are. Anything else stays at the gateway. */
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'accept-language',
  'content-type',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'prefer',
  'tracestate',
];

/**
 * Upstream headers not passed back: hop-by-hop headers (RFC 9110 7.6.1),
 * lengths and encodings that fetch has already undone, and headers the
 * gateway sets itself.
 */
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'content-encoding',
  'date',
  'server',
  'x-powered-by',
  'set-cookie',
  'x-correlation-id',
]);

const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export interface ForwardRequest {
  upstream: string;
  /** Path on the upstream, starting with '/'. */
  path: string;
  /** Query string including its '?', or ''. */
  search: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: Buffer | undefined;
  actor: string;
  correlationId: string;
  clientAddress: string | undefined;
}

@Injectable()
export class ProxyService {
  private readonly logger = new Logger(ProxyService.name);

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  async forward(request: ForwardRequest): Promise<UpstreamResponse> {
    const baseUrl = this.config.upstreams[request.upstream];
    // The routing table names only configured upstreams; this is a wiring mistake.
    if (!baseUrl) throw new Error(`no URL configured for upstream "${request.upstream}"`);

    const headers = new Headers();
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers.set(name, value);
    }
    headers.set('x-actor', request.actor);
    headers.set('x-correlation-id', request.correlationId);
    headers.set('traceparent', traceparentFor(request.headers.traceparent));
    if (request.clientAddress) headers.set('x-forwarded-for', request.clientAddress);

    const sendsBody = request.body !== undefined && !['GET', 'HEAD'].includes(request.method);
    try {
      const response = await fetch(`${baseUrl}${request.path}${request.search}`, {
        method: request.method,
        headers,
        body: sendsBody ? request.body : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.upstreamTimeoutMs),
      });
      const body = Buffer.from(await response.arrayBuffer());
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (!DROPPED_RESPONSE_HEADERS.has(name)) responseHeaders[name] = value;
      });
      return { status: response.status, headers: responseHeaders, body };
    } catch (error) {
      throw this.upstreamFailure(request.upstream, error);
    }
  }

  private upstreamFailure(upstream: string, error: unknown): ProblemError {
    const cause = (error as { cause?: { code?: string } }).cause;
    this.logger.warn(
      `${upstream} failed: ${(error as Error).name} ${cause?.code ?? (error as Error).message}`,
    );
    if ((error as Error).name === 'TimeoutError') {
      return new ProblemError(
        problem(504, 'upstream-timeout', `The ${upstream} service did not answer in time`),
      );
    }
    return new ProblemError(
      problem(502, 'upstream-unreachable', `The ${upstream} service could not be reached`),
    );
  }
}

/**
 * The client's W3C traceparent if it is well-formed, so its trace continues
 * through us; otherwise a new trace, sampled.
 */
function traceparentFor(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && TRACEPARENT.test(incoming)) return incoming;
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}
