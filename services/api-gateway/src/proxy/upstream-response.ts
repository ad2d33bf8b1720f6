// A response from an upstream, held in memory so it can be stored for
// idempotent replay and written back to the client unchanged.
import type { Response } from 'express';

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export function writeUpstreamResponse(response: Response, upstream: UpstreamResponse): void {
  response.status(upstream.status);
  for (const [name, value] of Object.entries(upstream.headers)) response.setHeader(name, value);
  // res.end rather than Express's res.send, which would add its own ETag and
  // could answer 304 on the upstream's behalf.
  response.end(upstream.body);
}
