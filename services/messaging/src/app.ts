// The messaging service's HTTP application on a started runtime: the
// platform's app (@engagement/service-runtime) plus form bodies on
// /webhooks (Twilio posts application/x-www-form-urlencoded) and /track
// (the RFC 8058 one-click POST carries List-Unsubscribe=One-Click).
import type { INestApplication } from '@nestjs/common';
import { createServiceApp } from '@engagement/service-runtime';
import { urlencoded } from 'express';
import { MessagingAppModule } from './app.module';
import type { MessagingRuntime } from './runtime';

export function createMessagingApp(runtime: MessagingRuntime): Promise<INestApplication> {
  return createServiceApp({
    module: MessagingAppModule.forRuntime(runtime),
    log: runtime.log,
    auth: { audience: runtime.config.name, key: runtime.config.serviceTokenKey },
    openApi: {
      title: 'Messaging service',
      description:
        'Message templates (LiquidJS), messages over email (SMTP), SMS and WhatsApp (Twilio), push and in-app; ' +
        'consent and quiet hours enforced at send; campaigns; event reminders; delivery tracking. ' +
        'Errors are RFC 9457 problem+json.',
    },
    configure: (app) => {
      app.use('/webhooks', urlencoded({ extended: false, limit: '100kb' }));
      app.use('/track', urlencoded({ extended: false, limit: '10kb' }));
    },
  });
}
