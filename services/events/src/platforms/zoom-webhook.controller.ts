// POST /platforms/zoom/webhook: Zoom's event notifications. Public (no
// service token: Zoom cannot have one); it authenticates by Zoom's own
// signature over the raw body instead, and answers 401 without a valid one.
// Answers the endpoint.url_validation challenge; a participant joining or
// leaving becomes the registration's attendance (joined: when; left: how
// long, and the engagement score as the share of the event attended).
// Zoom repeats deliveries: recording the same attendance again changes nothing.
import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConflictError } from '@engagement/decider';
import { problem, ProblemError } from '@engagement/http';
import { Public } from '@engagement/service-auth';
import { systemContext } from '@engagement/service-runtime';
import type { Request } from 'express';
import { EventsQueries } from '../read-model/events.queries';
import { EventsStreams } from '../shared/events-streams';
import { engagementScore } from './platform-sync';
import { parseZoomWebhook, urlValidationAnswer, verifyZoomSignature } from './zoom/zoom-webhooks';

export const ZOOM_WEBHOOK_PATH = '/platforms/zoom/webhook';
export class ZoomWebhookSecret {
  constructor(readonly value: string) {}
}

@ApiExcludeController()
@Controller('platforms/zoom')
export class ZoomWebhookController {
  constructor(
    private readonly secret: ZoomWebhookSecret,
    private readonly streams: EventsStreams,
    private readonly queries: EventsQueries,
  ) {}

  @Public()
  @Post('webhook')
  @HttpCode(200)
  async receive(@Req() request: Request) {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const valid = verifyZoomSignature(
      this.secret.value,
      {
        signature: request.header('x-zm-signature'),
        timestamp: request.header('x-zm-request-timestamp'),
      },
      raw,
    );
    if (!valid) throw new ProblemError(problem(401, 'bad-signature', 'Not signed by Zoom'));
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ProblemError(problem(400, 'malformed-body', 'The body is not JSON'));
    }
    const webhook = parseZoomWebhook(body);
    if (webhook.kind === 'url_validation')
      return urlValidationAnswer(this.secret.value, webhook.plainToken);
    if (webhook.kind === 'ignored' || !webhook.registrantId) return { received: true };

    const registration = await this.queries.registrationByRegistrant(webhook.registrantId);
    if (!registration) return { received: true };
    const event = await this.streams.eventState(registration.eventId);
    // When they joined, from the registration's own stream (the read model may lag a moment).
    const joined = (await this.streams.registrationState(registration.id)).attendance?.attendedAt;
    const joinedAt = webhook.kind === 'participant_joined' ? webhook.at : (joined ?? webhook.at);
    const minutes =
      webhook.kind === 'participant_left'
        ? Math.max(0, Math.round((Date.parse(webhook.at) - Date.parse(joinedAt)) / 60_000))
        : null;
    // A cancelled or waitlisted registration takes no attendance: Zoom still gets its 200 (no retries).
    await this.streams
      .registration(
        registration.id,
        {
          type: 'RecordAttendance',
          registrationId: registration.id,
          eventTitle: event.details?.title ?? '',
          attendedAt: joinedAt,
          durationMinutes: minutes,
          engagementScore: engagementScore(minutes, event.details?.durationMinutes ?? 0),
        },
        systemContext('webhook:zoom', request.header('x-zm-trackingid') ?? registration.id),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConflictError)) throw error;
      });
    return { received: true };
  }
}
