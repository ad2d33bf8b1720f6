// Provider callbacks (public at the gateway: /api/webhooks/**), each
// authenticated by the provider's signature:
// - POST /webhooks/twilio/status: Twilio status callbacks (form-encoded),
//   X-Twilio-Signature over the URL Twilio called (our public URL) and the
//   parameters; delivered → MessageDelivered, undelivered/failed → bounce.
import { Body, Controller, Headers, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@engagement/service-auth';
import { problem, ProblemError } from '@engagement/http';
import type { Request } from 'express';
import { parseTwilioStatus, verifyTwilioSignature } from '../channels/twilio-signature';
import { TrackingHandler } from './tracking.handler';

export class WebhookSettings {
  constructor(
    readonly publicUrl: string,
    readonly twilioAuthToken: string,
  ) {}
}

@ApiExcludeController()
@Public()
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly settings: WebhookSettings,
    private readonly tracking: TrackingHandler,
  ) {}

  @Post('twilio/status')
  @HttpCode(204)
  async twilioStatus(
    @Body() body: Record<string, string>,
    @Query('messageId') messageId: string | undefined,
    @Headers('x-twilio-signature') signature: string | undefined,
    @Req() request: Request,
  ) {
    const query = request.originalUrl.includes('?')
      ? request.originalUrl.slice(request.originalUrl.indexOf('?'))
      : '';
    const url = `${this.settings.publicUrl.replace(/\/+$/, '')}/webhooks/twilio/status${query}`;
    const params = Object.fromEntries(Object.entries(body ?? {}).map(([k, v]) => [k, String(v)]));
    if (!verifyTwilioSignature(this.settings.twilioAuthToken, url, params, signature)) {
      throw new ProblemError(problem(403, 'bad-signature', 'X-Twilio-Signature does not match'));
    }
    if (!messageId) return;
    const update = parseTwilioStatus(params);
    if (update.kind === 'delivered') await this.tracking.delivered(messageId);
    if (update.kind === 'failed')
      await this.tracking.bounced(messageId, update.bounce, update.errorCode, update.errorMessage);
  }
}
