// The public endpoints in sent messages (public at the gateway:
// /api/track/**), authenticated by their signed tokens alone:
// - GET  /track/open/:token         the open pixel (a 1×1 GIF, never cached);
// - GET  /track/click/:token        302 to the URL signed into the token (no open redirect);
// - POST /track/unsubscribe/:token  RFC 8058 one-click unsubscribe: 200, no redirect;
// - GET  /track/unsubscribe/:token  the visible link: a page whose button POSTs (a link
//                                   scanner's GET must not unsubscribe anyone).
// A bad token is a 404, whatever is wrong with it.
import { Controller, Get, Header, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@engagement/service-auth';
import { NotFoundError } from '@engagement/decider';
import type { Response } from 'express';
import { TrackingTokens, type TrackingPayload } from './tracking-tokens';
import { TrackingHandler } from './tracking.handler';

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

@ApiExcludeController()
@Public()
@Controller('track')
export class TrackingController {
  constructor(
    private readonly tokens: TrackingTokens,
    private readonly tracking: TrackingHandler,
  ) {}

  @Get('open/:token')
  @Header('Cache-Control', 'no-store')
  async open(@Param('token') token: string, @Res() response: Response) {
    const payload = this.payload(token, 'open');
    // The pixel is answered even when recording fails: a mail client shows no error for it.
    await this.tracking.opened(payload.m).catch(() => undefined);
    response.status(200).type('image/gif').send(PIXEL);
  }

  @Get('click/:token')
  async click(@Param('token') token: string, @Res() response: Response) {
    const payload = this.payload(token, 'click') as Extract<TrackingPayload, { k: 'click' }>;
    await this.tracking.clicked(payload.m, payload.u).catch(() => undefined);
    response.redirect(302, payload.u);
  }

  @Post('unsubscribe/:token')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  async unsubscribe(@Param('token') token: string) {
    const payload = this.payload(token, 'unsubscribe');
    await this.tracking.unsubscribe(payload.m);
    return 'You are unsubscribed.';
  }

  @Get('unsubscribe/:token')
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(@Param('token') token: string) {
    this.payload(token, 'unsubscribe');
    return `<!doctype html><title>Unsubscribe</title><form method="post"><button type="submit">Unsubscribe</button></form>`;
  }

  private payload(token: string, kind: TrackingPayload['k']): TrackingPayload {
    const payload = this.tokens.verify(token);
    if (!payload || payload.k !== kind) throw new NotFoundError('no such link', 'not-found');
    return payload;
  }
}
