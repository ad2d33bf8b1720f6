// First thing every request meets: it gets a correlation id (the client's
// x-correlation-id if it sent a sane one, else a new UUID) that is echoed in
// the response and sent upstream, and one access-log line when it ends
// (written off the request's path, see access-log.ts), if the app logs at
// level "log". The log line names the path without its query string
// (queries can carry emails) and never a header: Authorization holds the API key.
import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { writeAccessLog } from './access-log';
import type { GatewayRequest } from './gateway-request';

const SANE_ID = /^[A-Za-z0-9._:-]{1,200}$/;

export function correlationMiddleware(options: { accessLog: boolean }) {
  const { accessLog } = options;
  return (request: Request, response: Response, next: NextFunction) => {
    const incoming = request.headers['x-correlation-id'];
    const correlationId =
      typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
    const gatewayRequest = request as GatewayRequest;
    gatewayRequest.correlationId = correlationId;
    response.setHeader('x-correlation-id', correlationId);

    if (accessLog) {
      const started = performance.now();
      response.on('finish', () => {
        writeAccessLog({
          method: request.method,
          path: request.path,
          status: response.statusCode,
          durationMs: Math.round(performance.now() - started),
          apiKeyId: gatewayRequest.caller?.apiKeyId ?? null,
          correlationId,
        });
      });
    }
    next();
  };
}
