// The few node:http helpers the admin API needs: read a body, answer JSON,
// match a request against a routing table kept as data.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Params = Record<string, string>;

export interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  params: Params;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON (a message's .eml). */
  raw?: Buffer;
  headers?: Record<string, string>;
}

export type Handler = (req: Request) => Reply | Promise<Reply>;

/** One route: method, path pattern with `:name` segments, handler. */
export type Route = [method: string, pattern: string, handler: Handler];

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.raw) {
    res.writeHead(reply.status, headers).end(reply.raw);
    return;
  }
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers['content-type'] ??= 'application/json;charset=UTF-8';
  res.writeHead(reply.status, headers).end(text);
}

/** Finds the route for a method and path; path segments are URL-decoded. */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { handler: Handler; params: Params } | null {
  const segments = path.split('/').filter(Boolean);
  for (const [routeMethod, pattern, handler] of routes) {
    if (routeMethod !== method) continue;
    const parts = pattern.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    const params: Params = {};
    const matches = parts.every((part, i) => {
      if (part.startsWith(':')) {
        params[part.slice(1)] = decodeSegment(segments[i]);
        return true;
      }
      return part === segments[i];
    });
    if (matches) return { handler, params };
  }
  return null;
}

function decodeSegment(segment: string): string {
  return decodeURIComponent(segment);
}

export function parseJson(body: Buffer): Record<string, unknown> | null {
  if (body.length === 0) return {};
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
