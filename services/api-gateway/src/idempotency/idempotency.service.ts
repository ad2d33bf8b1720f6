// Idempotency-Key for POST, PUT and PATCH: a client that retries a request
// with the same key gets the first answer again instead of a second effect.
//
// Per API key and idempotency key, a row in <schema>.idempotency_keys goes
// through: claimed (in_flight) → completed with the response, or deleted if
// the answer is not one worth replaying. A second request with the same key:
//   - different method, path or body  → 422 (the key was reused for something else)
//   - first one still running          → 409 (retry later)
//   - first one completed              → the stored response, with Idempotent-Replayed: true
// Stored: 2xx and 4xx answers except 409 and 429 (those say "try again", so
// replaying them would stop the retry from ever working); 5xx and gateway
// failures are not stored either, so a retry reaches the upstream again.
// Records expire after 24 hours.
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { problem, ProblemError } from '@engagement/http';
import { createHash } from 'node:crypto';
import { Pool } from 'pg';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { quoteIdent } from '../database/migrations';
import type { UpstreamResponse } from '../proxy/upstream-response';

export const IDEMPOTENT_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const TTL = '24 hours';
/** Response headers kept with a stored response and replayed with it. */
const STORED_HEADERS = ['content-type', 'content-location', 'location', 'etag', 'last-modified'];
const CLEANUP_EVERY_MS = 60 * 60 * 1000;
/** A key can be printable ASCII up to 255 characters (a UUID is the usual choice). */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * The Idempotency-Key of a request that honours one, undefined if there is
 * none or the method is not POST/PUT/PATCH; a malformed key is a 400.
 */
export function idempotencyKeyOf(method: string, header: string | string[] | undefined) {
  if (header === undefined || !IDEMPOTENT_METHODS.has(method)) return undefined;
  if (typeof header !== 'string' || !VALID_KEY.test(header)) {
    throw new ProblemError(
      problem(
        400,
        'invalid-idempotency-key',
        'Idempotency-Key must be 1 to 255 printable ASCII characters',
      ),
    );
  }
  return header;
}

/** What makes two requests "the same": method, path with query, and body bytes. */
export function requestFingerprint(method: string, url: string, body: Buffer | undefined): string {
  return createHash('sha256')
    .update(`${method}\n${url}\n`)
    .update(body ?? Buffer.alloc(0))
    .digest('hex');
}

function isStored(status: number): boolean {
  return (
    (status >= 200 && status < 300) ||
    (status >= 400 && status < 500 && status !== 409 && status !== 429)
  );
}

interface IdempotentRequest {
  apiKeyId: string;
  key: string;
  fingerprint: string;
}

interface Row {
  request_hash: string;
  state: 'in_flight' | 'completed';
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Buffer | null;
}

@Injectable()
export class IdempotencyService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyService.name);
  private readonly table: string;
  private cleanupTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(Pool) private readonly pool: Pool,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.table = `${quoteIdent(config.schema)}.idempotency_keys`;
  }

  onApplicationBootstrap(): void {
    this.cleanupTimer = setInterval(() => void this.deleteExpired(), CLEANUP_EVERY_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.cleanupTimer);
  }

  async execute(
    request: IdempotentRequest,
    send: () => Promise<UpstreamResponse>,
  ): Promise<UpstreamResponse> {
    // The row can vanish between our failed claim and our read (the first
    // attempt failed and released it): then claim again.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.claim(request)) return this.sendAndRecord(request, send);
      const existing = await this.read(request);
      if (existing) return this.answerFromExisting(request, existing);
    }
    throw new ProblemError(
      problem(409, 'idempotency-key-contended', 'This Idempotency-Key is in use; retry later'),
    );
  }

  /**
   * Takes the key for this request: a new row, or an expired one, or one
   * whose first attempt died in flight (its gateway stopped) for the very
   * same request. The lease outlasts the upstream timeout, so a live
   * attempt is never taken over.
   */
  private async claim({ apiKeyId, key, fingerprint }: IdempotentRequest): Promise<boolean> {
    const leaseMs = this.config.upstreamTimeoutMs + 30_000;
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${this.table} AS t
         (api_key_id, idempotency_key, request_hash, state, locked_until, expires_at)
       VALUES ($1, $2, $3, 'in_flight', now() + $4 * interval '1 millisecond', now() + interval '${TTL}')
       ON CONFLICT (api_key_id, idempotency_key) DO UPDATE SET
         request_hash = EXCLUDED.request_hash, state = 'in_flight',
         locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at,
         response_status = NULL, response_headers = NULL, response_body = NULL, created_at = now()
       WHERE t.expires_at <= now()
          OR (t.state = 'in_flight' AND t.locked_until <= now() AND t.request_hash = EXCLUDED.request_hash)`,
      [apiKeyId, key, fingerprint, leaseMs],
    );
    return rowCount === 1;
  }

  private async sendAndRecord(
    request: IdempotentRequest,
    send: () => Promise<UpstreamResponse>,
  ): Promise<UpstreamResponse> {
    let response: UpstreamResponse;
    try {
      response = await send();
    } catch (error) {
      await this.release(request);
      throw error;
    }
    if (isStored(response.status)) await this.complete(request, response);
    else await this.release(request);
    return response;
  }

  private answerFromExisting(request: IdempotentRequest, row: Row): UpstreamResponse {
    if (row.request_hash !== request.fingerprint) {
      throw new ProblemError(
        problem(
          422,
          'idempotency-key-reused',
          'This Idempotency-Key was used for a different request (method, path or body)',
        ),
      );
    }
    if (row.state === 'in_flight') {
      throw new ProblemError(
        problem(
          409,
          'idempotency-key-in-flight',
          'A request with this Idempotency-Key is still running; retry later',
        ),
      );
    }
    return {
      status: row.response_status!,
      headers: { ...row.response_headers, 'idempotent-replayed': 'true' },
      body: row.response_body ?? Buffer.alloc(0),
    };
  }

  private async read({ apiKeyId, key }: IdempotentRequest): Promise<Row | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT request_hash, state, response_status, response_headers, response_body
       FROM ${this.table}
       WHERE api_key_id = $1 AND idempotency_key = $2 AND expires_at > now()`,
      [apiKeyId, key],
    );
    return rows[0];
  }

  /**
   * A failure to record does not fail the request: the upstream has acted,
   * so the client must see its answer. A retry then waits for the lease to
   * lapse and is sent again, which the upstream's own rules (one contact per
   * email, expected revisions) must tolerate.
   */
  private async complete(request: IdempotentRequest, response: UpstreamResponse): Promise<void> {
    const headers = Object.fromEntries(
      STORED_HEADERS.filter((name) => name in response.headers).map((name) => [
        name,
        response.headers[name],
      ]),
    );
    await this.pool
      .query(
        `UPDATE ${this.table}
         SET state = 'completed', response_status = $4, response_headers = $5, response_body = $6
         WHERE api_key_id = $1 AND idempotency_key = $2 AND request_hash = $3 AND state = 'in_flight'`,
        [
          request.apiKeyId,
          request.key,
          request.fingerprint,
          response.status,
          headers,
          response.body,
        ],
      )
      .catch((error: unknown) =>
        this.logger.error(`could not store an idempotent response: ${(error as Error).message}`),
      );
  }

  private async release(request: IdempotentRequest): Promise<void> {
    await this.pool
      .query(
        `DELETE FROM ${this.table}
         WHERE api_key_id = $1 AND idempotency_key = $2 AND request_hash = $3 AND state = 'in_flight'`,
        [request.apiKeyId, request.key, request.fingerprint],
      )
      .catch((error: unknown) =>
        this.logger.error(`could not release an idempotency key: ${(error as Error).message}`),
      );
  }

  private async deleteExpired(): Promise<void> {
    await this.pool
      .query(`DELETE FROM ${this.table} WHERE expires_at <= now()`)
      .catch((error: unknown) =>
        this.logger.warn(`could not delete expired idempotency keys: ${(error as Error).message}`),
      );
  }
}
