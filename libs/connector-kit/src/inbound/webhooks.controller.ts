// POST /webhooks/<provider>: the CRM's webhooks, public (no service token:
// the provider's signature authenticates them; the gateway routes
// /api/webhooks/<provider> here without an API key). The body arrives raw
// (start-inbound.ts installs the raw parser for this path before the JSON
// one), so the signature is checked on the exact bytes.
import { Controller, HttpCode, Post, Req, type Type } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@engagement/service-auth';
import type { Request } from 'express';
import type { WebhookReceiver } from './webhook-receiver';

export function webhooksController(provider: string, receiver: WebhookReceiver): Type<unknown> {
  @ApiTags('webhooks')
  @Controller('webhooks')
  class WebhooksController {
    @Public()
    @Post(provider)
    @HttpCode(200)
    @ApiOperation({ summary: `Webhooks from ${provider} (signed by the provider; stored, then applied)` })
    async receive(@Req() request: Request): Promise<{ received: number; duplicates: number }> {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(',') : value;
      const uri = `${request.protocol}://${request.get('host') ?? 'localhost'}${request.originalUrl}`;
      return receiver.receive({ method: request.method, uri, headers, body });
    }
  }
  return WebhooksController;
}
