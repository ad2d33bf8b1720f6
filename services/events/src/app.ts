// The events service's HTTP application: the platform's app
// (@engagement/service-runtime) with the events module.
import type { INestApplication } from '@nestjs/common';
import { createServiceApp } from '@engagement/service-runtime';
import { raw } from 'express';
import { EventsAppModule } from './app.module';
import { ZOOM_WEBHOOK_PATH } from './platforms/zoom-webhook.controller';
import type { EventsRuntime } from './runtime';

export function createEventsApp(runtime: EventsRuntime): Promise<INestApplication> {
  return createServiceApp({
    module: EventsAppModule.forRuntime(runtime),
    log: runtime.log,
    // Zoom signs the raw body: that path keeps it as bytes.
    configure: (app) => app.use(ZOOM_WEBHOOK_PATH, raw({ type: () => true, limit: '1mb' })),
    auth: { audience: runtime.config.name, key: runtime.config.serviceTokenKey },
    openApi: {
      title: 'Events service',
      description:
        'Events and their lifecycle, registrations with a capacity enforced at write time ' +
        '(waitlist and promotion), attendance. Commands answer { id, position, revision, ' +
        'status }; GETs accept ?waitForPosition=<position>. Errors are RFC 9457 problem+json.',
    },
  });
}
