// Test helpers: a real gateway on a random port with its own random schema
// (so test files run in parallel without sharing rows), and a stand-in for
// the contacts service: a tiny real HTTP server that records what reaches
// it and answers the way contacts does. Gateway-only tests use the stand-in;
// end-to-end tests through the real contacts service live elsewhere.
import type { LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadPlatformConfig } from '@engagement/config';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { generateApiKey, type Scope } from '../api-keys/api-key';
import type { GatewayConfig } from '../config';
import { createGatewayApp } from '../gateway-app';
import { STAND_IN_OPENAPI } from './contacts-openapi.fixture';

export function testDatabaseUrl(): string {
  return process.env.DATABASE_URL || loadPlatformConfig().databaseUrl;
}

export function randomSchema(): string {
  return `api_gateway_${randomBytes(5).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const pool = new Pool({ connectionString: testDatabaseUrl(), max: 1 });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await pool.end();
  }
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Answers a request itself (returns true) or leaves it to the default contacts-like answers. */
export type StandInHandler = (
  request: RecordedRequest,
  response: ServerResponse,
) => boolean | Promise<boolean>;

export class UpstreamStandIn {
  readonly requests: RecordedRequest[] = [];
  /** Tests set this to answer some requests their own way. */
  handler: StandInHandler = () => false;
  url = '';

  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      void this.answer(recorded, res);
    });
  });

  /** On a free port, or on `port` (to start a stand-in again where a closed one was). */
  static async start(onPort = 0): Promise<UpstreamStandIn> {
    const standIn = new UpstreamStandIn();
    await new Promise<void>((resolve) => standIn.server.listen(onPort, '127.0.0.1', resolve));
    const { port } = standIn.server.address() as AddressInfo;
    standIn.url = `http://127.0.0.1:${port}`;
    return standIn;
  }

  /** Requests that reached us, apart from health and openapi probes. */
  get apiRequests(): RecordedRequest[] {
    return this.requests.filter((r) => !['/health', '/openapi.json'].includes(r.url));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async answer(request: RecordedRequest, res: ServerResponse): Promise<void> {
    this.requests.push(request);
    if (await this.handler(request, res)) return;
    const path = request.url.split('?')[0]!;
    if (path === '/health') return json(res, 200, { status: 'ok' });
    if (path === '/openapi.json') return json(res, 200, STAND_IN_OPENAPI);
    if (path.endsWith('/missing')) {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', status: 404, code: 'contact-not-found' }));
      return;
    }
    if (request.method === 'POST' && path === '/contacts') {
      const id = randomUUID();
      res.setHeader('location', `/contacts/${id}`);
      return json(res, 201, { id, position: '42' });
    }
    return json(res, 200, { method: request.method, url: request.url });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export interface TestGateway {
  url: string;
  schema: string;
  config: GatewayConfig;
  /** Value of the bootstrap admin key. */
  adminKey: string;
  app: NestExpressApplication;
  /** Creates a key through the API with the admin key; returns its id and value. */
  createKey(scopes: Scope[], name?: string): Promise<{ id: string; key: string }>;
  close(options?: { keepSchema?: boolean }): Promise<void>;
}

/**
 * Tests judge the gateway by its answers, and several provoke errors on
 * purpose, so logs are off unless GATEWAY_TEST_LOG_LEVELS=error,warn asks
 * for them (the logging test turns them on itself).
 */
const defaultLogLevels = (process.env.GATEWAY_TEST_LOG_LEVELS ?? '')
  .split(',')
  .filter(Boolean) as LogLevel[];

export async function startGateway(
  overrides: Partial<GatewayConfig> = {},
  logLevels: LogLevel[] = defaultLogLevels,
  /** The rate limits' clock (milliseconds); default the real one. */
  clock?: () => number,
): Promise<TestGateway> {
  const adminKey = overrides.bootstrapKey ?? generateApiKey();
  const config: GatewayConfig = {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: testDatabaseUrl(),
    schema: randomSchema(),
    bootstrapKey: adminKey,
    apiKeyCacheTtlMs: 5_000,
    upstreams: { contacts: 'http://127.0.0.1:9', events: 'http://127.0.0.1:9' },
    upstreamTimeoutMs: 5_000,
    upstreamHealthIntervalMs: 2_000,
    rateLimitPerSecond: 1_000,
    rateLimitBurst: 1_000,
    authFailurePerSecond: 1_000,
    authFailureBurst: 1_000,
    trustedProxies: [],
    bodyLimit: '1mb',
    importBodyLimit: '50mb',
    serviceTokenKey: randomBytes(32),
    ...overrides,
  };
  const app = await createGatewayApp(config, { logLevels, clock });
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  return {
    url,
    schema: config.schema,
    config,
    adminKey,
    app,
    async createKey(scopes, name = 'test') {
      const response = await fetch(`${url}/api/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, scopes }),
      });
      if (response.status !== 201) throw new Error(`creating a key: ${response.status}`);
      const { id, key } = (await response.json()) as { id: string; key: string };
      return { id, key };
    },
    async close(options = {}) {
      await app.close();
      if (!options.keepSchema) await dropSchema(config.schema);
    },
  };
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
