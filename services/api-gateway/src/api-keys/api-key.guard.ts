// The first guard every request passes: who is calling, and may they do
// this? `Authorization: Bearer <key>` is looked up by its hash (through a
// cache of a few seconds, see ApiKeyStore.lookup); a missing,
// unknown or revoked key is a 401 with WWW-Authenticate (RFC 6750), a key
// without the scope the request needs (see access-rules.ts) a 403.
import {
  Inject,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { problem, ProblemError } from '@engagement/http';
import type { Response } from 'express';
import type { GatewayRequest } from '../http/gateway-request';
import { parseRequestPath } from '../http/request-path';
import { requiredScope } from './access-rules';
import { allows } from './api-key';
import { ApiKeyStore } from './api-key.store';

const REALM = 'Bearer realm="engagement-platform"';

@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);

  constructor(@Inject(ApiKeyStore) private readonly keys: ApiKeyStore) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const scope = requiredScope(request.method, parseRequestPath(request.path));
    if (scope === 'public') return true;

    const presented = bearerToken(request.headers.authorization);
    if (presented === null) {
      response.setHeader('WWW-Authenticate', REALM);
      throw new ProblemError(
        problem(401, 'missing-api-key', 'Send your API key as `Authorization: Bearer <key>`'),
      );
    }
    const key = await this.keys.lookup(presented);
    if (!key || key.revokedAt) {
      // One answer for unknown and revoked keys: the caller learns only that this key does not work.
      response.setHeader('WWW-Authenticate', `${REALM}, error="invalid_token"`);
      throw new ProblemError(problem(401, 'invalid-api-key', 'The API key is unknown or revoked'));
    }
    // Known from here on, also when refused below, so the access log names the key.
    request.caller = { apiKeyId: key.id, scopes: key.scopes };
    if (!allows(key.scopes, scope)) {
      response.setHeader(
        'WWW-Authenticate',
        `${REALM}, error="insufficient_scope", scope="${scope}"`,
      );
      const detail = `This request needs an API key with the ${scope} scope`;
      throw new ProblemError(problem(403, 'insufficient-scope', detail, { requiredScope: scope }));
    }
    this.keys.touch(key.id, (error) =>
      this.logger.warn(`could not record last use of key ${key.id}: ${(error as Error).message}`),
    );
    return true;
  }
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer +(\S{1,512})\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}
