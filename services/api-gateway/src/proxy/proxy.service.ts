// Sends one request to an upstream service and brings its answer back.
// What goes up: method, path, query, body, content-type and a few
// conditional/content-negotiation headers the client chose, plus who is
// asking as a service token signed for that upstream (Authorization: Bearer,
// carrying the API key id, its scopes and the request id; see
// @engagement/service-auth), which request this is (x-correlation-id) and
// the trace (traceparent). What never goes up: the client's own
// Authorization, cookies, or any other header the client set. Upstream answers, errors included,
// come back with their status and body unchanged; an upstream that cannot
// be reached is a 502, one that does not answer in time a 504.
//
// Sent with node:http over a keep-alive Agent (at most UPSTREAM_MAX_SOCKETS
// connections per upstream), one timer per request bounding the whole
// exchange, body collected as Buffer chunks (it is held in memory anyway for
// idempotent replay). No Accept-Encoding is sent, so upstreams answer
// uncompressed; one that compresses regardless is decoded here, as fetch did.
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { problem, ProblemError } from '@engagement/http';
import { signServiceToken } from '@engagement/service-auth';
import { randomFillSync } from 'node:crypto';
import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestOptions,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
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
 * lengths and encodings (Node writes its own length; a compressed body is
 * decoded before it is passed on), and headers the gateway sets itself.
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

/** Connections kept per upstream; requests beyond this wait for a free one. */
const UPSTREAM_MAX_SOCKETS = 64;

/** Methods whose request has a body: an empty one is sent as Content-Length: 0. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Content codings an upstream might use unasked, and how to undo them. */
const DECODERS = new Map<string, (body: Buffer) => Promise<Buffer>>([
  ['gzip', promisify(gunzip)],
  ['x-gzip', promisify(gunzip)],
  ['deflate', promisify(inflate)],
  ['br', promisify(brotliDecompress)],
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
  /** The caller's API key id: the token's subject and the actor of what it causes. */
  apiKeyId: string;
  scopes: readonly string[];
  correlationId: string;
  clientAddress: string | undefined;
}

interface Upstream {
  request: typeof httpRequest;
  agent: HttpAgent;
  hostname: string;
  port: string;
  /** Path of the base URL without its trailing '/', usually ''. */
  basePath: string;
}

/** The upstream did not answer in upstreamTimeoutMs: a 504 (any other failure is a 502). */
class UpstreamTimeout extends Error {
  override readonly name = 'TimeoutError';
}

@Injectable()
export class ProxyService implements OnApplicationShutdown {
  private readonly logger = new Logger(ProxyService.name);
  private readonly upstreams = new Map<string, Upstream>();

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    for (const [name, baseUrl] of Object.entries(config.upstreams)) {
      const url = new URL(baseUrl);
      const https = url.protocol === 'https:';
      const agentOptions = { keepAlive: true, maxSockets: UPSTREAM_MAX_SOCKETS };
      this.upstreams.set(name, {
        request: https ? httpsRequest : httpRequest,
        agent: https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions),
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port || (https ? '443' : '80'),
        basePath: url.pathname.replace(/\/+$/, ''),
      });
    }
  }

  /** After the server stopped taking requests (Nest closes it before this hook). */
  onApplicationShutdown(): void {
    for (const upstream of this.upstreams.values()) upstream.agent.destroy();
  }

  async forward(request: ForwardRequest): Promise<UpstreamResponse> {
    const upstream = this.upstreams.get(request.upstream);
    // The routing table names only configured upstreams; this is a wiring mistake.
    if (!upstream) throw new Error(`no URL configured for upstream "${request.upstream}"`);

    const headers: OutgoingHttpHeaders = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    headers.authorization = `Bearer ${signServiceToken(this.config.serviceTokenKey, {
      subject: `apikey:${request.apiKeyId}`,
      actor: request.apiKeyId,
      scopes: request.scopes,
      audience: request.upstream,
      requestId: request.correlationId,
    })}`;
    headers['x-correlation-id'] = request.correlationId;
    headers.traceparent = traceparentFor(request.headers.traceparent);
    if (request.clientAddress) headers['x-forwarded-for'] = request.clientAddress;

    const body =
      request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD'
        ? request.body
        : undefined;
    if (body) headers['content-length'] = body.length;
    else if (BODY_METHODS.has(request.method)) headers['content-length'] = 0;

    const options: RequestOptions = {
      agent: upstream.agent,
      hostname: upstream.hostname,
      port: upstream.port,
      method: request.method,
      path: `${upstream.basePath}${request.path}${request.search}`,
      headers,
    };
    try {
      const response = await this.exchange(upstream, options, body);
      return await this.answerOf(response.message, response.body);
    } catch (error) {
      throw this.upstreamFailure(request.upstream, error);
    }
  }

  /**
   * One request and its whole response within upstreamTimeoutMs. A GET or
   * HEAD that meets a kept-alive connection the upstream had just closed is
   * sent once more on a new one; nothing else is ever sent twice.
   */
  private exchange(
    upstream: Upstream,
    options: RequestOptions,
    body: Buffer | undefined,
  ): Promise<{ message: IncomingMessage; body: Buffer }> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let current: ClientRequest | undefined;
      const timer = setTimeout(
        () => fail(new UpstreamTimeout('no answer in time')),
        this.config.upstreamTimeoutMs,
      );
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        current?.destroy();
        reject(error);
      };
      const send = (mayRetry: boolean) => {
        let answered = false;
        const sent = upstream.request(options, (message) => {
          answered = true;
          const chunks: Buffer[] = [];
          let length = 0;
          message.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            length += chunk.length;
          });
          message.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({
              message,
              body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length),
            });
          });
          message.on('error', fail);
          message.on('close', () => {
            if (!message.complete) fail(new Error('upstream closed the connection mid-answer'));
          });
        });
        current = sent;
        sent.on('error', (error: NodeJS.ErrnoException) => {
          if (
            mayRetry &&
            !answered &&
            !settled &&
            sent.reusedSocket &&
            error.code === 'ECONNRESET'
          ) {
            send(false);
            return;
          }
          fail(error);
        });
        sent.end(body);
      };
      try {
        send(options.method === 'GET' || options.method === 'HEAD');
      } catch (error) {
        fail(error); // e.g. a header value Node refuses to send
      }
    });
  }

  private async answerOf(message: IncomingMessage, raw: Buffer): Promise<UpstreamResponse> {
    const headers: Record<string, string> = {};
    const received: IncomingHttpHeaders = message.headers;
    for (const name in received) {
      const value = received[name];
      if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name)) continue;
      headers[name] = typeof value === 'string' ? value : value.join(', ');
    }
    const encoding = received['content-encoding']?.trim().toLowerCase();
    const decode = encoding ? DECODERS.get(encoding) : undefined;
    const body = decode && raw.length > 0 ? await decode(raw) : raw;
    return { status: message.statusCode ?? 502, headers, body };
  }

  private upstreamFailure(upstream: string, error: unknown): ProblemError {
    const { name, message, code } = error as NodeJS.ErrnoException;
    this.logger.warn(`${upstream} failed: ${name} ${code ?? message}`);
    if (error instanceof UpstreamTimeout) {
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
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

/**
 * Random bytes for trace ids, drawn from a pool filled 4 KB at a time: two
 * randomBytes() calls per request were 7% of the gateway's CPU. Trace ids
 * are public (they travel in headers), so a pool in memory gives nothing away.
 */
const randomPool = Buffer.alloc(4096);
let randomPoolOffset = randomPool.length;

function randomHex(bytes: number): string {
  if (randomPoolOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  const hex = randomPool.toString('hex', randomPoolOffset, randomPoolOffset + bytes);
  randomPoolOffset += bytes;
  return hex;
}
