// A small HTTP router on node:http for the third-party API emulators (test
// doubles of HubSpot, GoHighLevel, ...). The emulators answer in their
// provider's own shapes, so this layer stays out of the way: it parses the
// request, finds a route, and writes whatever the handler returns. A thrown
// HttpReply is an answer too (handlers throw the provider's error bodies).
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface Request {
  method: string;
  /** Path without the query string, trailing slash removed (except for "/"). */
  path: string;
  /** The route's pattern ("/contacts/:id"), for per-endpoint counters. */
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  /** What middleware learnt about the request (the caller's token, say) for the handler. */
  locals: Record<string, unknown>;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send body as is (a string) with this content type instead of JSON. */
  contentType?: string;
}

/** An answer thrown from deep inside a handler (errors in the provider's shape). */
export class HttpReply extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

export type Handler = (req: Request) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
}

/**
 * Runs before routing for every request: may answer itself (rate limits,
 * injected faults) or return undefined to let the route answer. `after` sees
 * every answer (for counters).
 */
export interface Middleware {
  before?(req: Request): Reply | undefined | Promise<Reply | undefined>;
  after?(req: Request, reply: Reply): void;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export function route(method: string, pattern: string, handler: Handler): Route {
  return { method, pattern: normalisePath(pattern), handler };
}

export function json(status: number, body?: unknown, headers?: Record<string, string>): Reply {
  return { status, body, headers };
}

/** JSON body of a request; undefined when empty; throws `invalid` when not JSON. */
export function jsonBody(req: Request, invalid: () => Reply): unknown {
  if (req.rawBody.length === 0) return undefined;
  try {
    return JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    throw new HttpReply(invalid());
  }
}

export function formBody(req: Request): URLSearchParams {
  return new URLSearchParams(req.rawBody.toString('utf8'));
}

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export function createRouter(
  routes: Route[],
  options: { middleware?: Middleware[]; notFound: (req: Request) => Reply },
) {
  const compiled = routes.map((r) => ({ ...r, parts: r.pattern.split('/') }));

  function match(method: string, path: string) {
    const parts = path.split('/');
    let pathMatched = false;
    for (const r of compiled) {
      if (r.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const p = r.parts[i]!;
        if (p.startsWith(':')) params[p.slice(1)] = safeDecode(parts[i]!);
        else if (p !== parts[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      pathMatched = true;
      if (r.method === method) return { route: r, params };
    }
    return { route: undefined, params: {}, pathMatched };
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const rawBody = await readBody(req);
    const method = (req.method ?? 'GET').toUpperCase();
    const path = normalisePath(url.pathname);
    const found = match(method, path);
    const request: Request = {
      method,
      path,
      route: found.route?.pattern ?? '(unmatched)',
      params: found.params,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      locals: {},
    };
    let reply: Reply | undefined;
    try {
      for (const m of options.middleware ?? []) {
        reply = await m.before?.(request);
        if (reply) break;
      }
      if (!reply) reply = found.route ? await found.route.handler(request) : options.notFound(request);
    } catch (err) {
      if (err instanceof HttpReply) reply = err.reply;
      else {
        // An emulator bug, not the client's: say so plainly.
        console.error(`[emulator] ${method} ${path}:`, err);
        reply = json(500, { message: 'emulator error', detail: String(err) });
      }
    }
    for (const m of options.middleware ?? []) m.after?.(request, reply);
    write(res, reply);
  };
}

export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  port: number,
  host = '127.0.0.1',
): Promise<RunningServer> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err) => {
      console.error('[emulator] request failed:', err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    port: actual,
    url: `http://${host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function write(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let payload: string | undefined;
  if (reply.body !== undefined) {
    if (reply.contentType) {
      headers['content-type'] = reply.contentType;
      payload = String(reply.body);
    } else {
      headers['content-type'] = 'application/json;charset=utf-8';
      payload = JSON.stringify(reply.body);
    }
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function normalisePath(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** An admin API error (the emulator's own API, not the provider's): RFC 9457 problem+json. */
export function problem(status: number, detail: string, extra: Record<string, unknown> = {}): Reply {
  const title = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict' }[status] ?? 'Error';
  return {
    status,
    body: JSON.stringify({ type: 'about:blank', title, status, detail, ...extra }),
    contentType: 'application/problem+json',
  };
}
