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
// A service may run as several instances (UpstreamPools picks one per
// request, round-robin among those up). A connection refused by one marks
// it down and the request goes to another: nothing reached the refusing
// instance, so this holds for every method. Any other failure before an
// answer is retried once, on another instance if there is one, for GET and
// HEAD only: a POST, PUT, PATCH or DELETE whose bytes may have reached an
// upstream is never sent twice.
//
// Sent with node:http over a keep-alive Agent per instance (see
// upstream-pool.ts), one timer per request bounding the whole
// exchange, body collected as Buffer chunks (it is held in memory anyway for
// idempotent replay). No Accept-Encoding is sent, so upstreams answer
// uncompressed; one that compresses regardless is decoded here, as fetch did.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { problem, ProblemError } from '@engagement/http';
import { signServiceToken } from '@engagement/service-auth';
import { randomFillSync } from 'node:crypto';
import type {
  ClientRequest,
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
} from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { UpstreamPools, type UpstreamInstance, type UpstreamPool } from './upstream-pool';
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

/** The CRMs' webhook signature headers: the connectors verify them (the gateway cannot: no secrets here). */
const PROVIDER_SIGNATURE_HEADERS = [
  'x-hubspot-signature-v3',
  'x-hubspot-request-timestamp',
  'x-ghl-signature',
  'x-wh-signature',
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

/** Errors of a connection that was never made: nothing was sent. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

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
  /**
   * The client's Idempotency-Key (POST, PUT, PATCH), passed on so that the
   * service derives its event ids from it: a retry after a 502/504, which
   * the gateway cannot answer from its record, is recognised there.
   */
  idempotencyKey?: string;
}

/** What is sent, the same to whichever instance it goes. */
interface Outgoing {
  method: string;
  /** Path and query below the instance's base path. */
  path: string;
  headers: OutgoingHttpHeaders;
  body: Buffer | undefined;
}

/** The upstream did not answer in upstreamTimeoutMs: a 504 (any other failure is a 502). */
class UpstreamTimeout extends Error {
  override readonly name = 'TimeoutError';
}

@Injectable()
export class ProxyService {
  private readonly logger = new Logger(ProxyService.name);

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(UpstreamPools) private readonly pools: UpstreamPools,
  ) {}

  async forward(request: ForwardRequest): Promise<UpstreamResponse> {
    const pool = this.pools.get(request.upstream);
    // The routing table names only configured upstreams; this is a wiring mistake.
    if (!pool || pool.instances.length === 0)
      throw new Error(`no URL configured for upstream "${request.upstream}"`);

    const headers: OutgoingHttpHeaders = {};
    for (const name of [...FORWARDED_REQUEST_HEADERS, ...PROVIDER_SIGNATURE_HEADERS]) {
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
    if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;

    const body =
      request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD'
        ? request.body
        : undefined;
    if (body) headers['content-length'] = body.length;
    else if (BODY_METHODS.has(request.method)) headers['content-length'] = 0;

    const outgoing: Outgoing = {
      method: request.method,
      path: `${request.path}${request.search}`,
      headers,
      body,
    };
    try {
      const response = await this.exchange(pool, outgoing);
      return await this.answerOf(response.message, response.body);
    } catch (error) {
      throw this.upstreamFailure(request.upstream, error);
    }
  }

  /**
   * One request and its whole response within upstreamTimeoutMs, sent at
   * most twice: again to another instance when the connection was refused
   * (nothing was sent), or, for GET and HEAD, after any other failure before
   * an answer (to another instance, or on a new connection to the same one
   * when a kept-alive connection had just been closed by the upstream).
   */
  private exchange(
    pool: UpstreamPool,
    outgoing: Outgoing,
  ): Promise<{ message: IncomingMessage; body: Buffer }> {
    const idempotent = outgoing.method === 'GET' || outgoing.method === 'HEAD';
    return new Promise((resolve, reject) => {
      let settled = false;
      let retried = false;
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
      const send = (instance: UpstreamInstance) => {
        let answered = false;
        const sent = instance.request(
          {
            agent: instance.agent,
            hostname: instance.hostname,
            port: instance.port,
            method: outgoing.method,
            path: `${instance.basePath}${outgoing.path}`,
            headers: outgoing.headers,
          },
          (message) => {
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
          },
        );
        current = sent;
        sent.on('error', (error: NodeJS.ErrnoException) => {
          if (settled) return;
          const notConnected = NOT_CONNECTED.has(error.code ?? '');
          if (notConnected) this.pools.markDown(pool, instance);
          if (!retried && !answered) {
            const next = notConnected
              ? pool.pick(instance)
              : idempotent
                ? (pool.pick(instance) ??
                  (sent.reusedSocket && error.code === 'ECONNRESET' ? instance : undefined))
                : undefined;
            if (next) {
              retried = true;
              send(next);
              return;
            }
          }
          fail(error);
        });
        sent.end(outgoing.body);
      };
      try {
        send(pool.pick()!);
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
