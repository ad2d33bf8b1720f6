// The events service's Nest module: its controllers, one folder per
// capability, and what they call, given by value from the runtime.
// /health and /ready come with serviceModule (@engagement/service-runtime).
import { Module, type DynamicModule } from '@nestjs/common';
import { ReadModelWaiter, serviceModule } from '@engagement/service-runtime';
import { EventsController } from './events/events.controller';
import { EventsHandler } from './events/events.handler';
import { EventsQueries } from './read-model/events.queries';
import { RegistrationsController } from './registrations/registrations.controller';
import { RegistrationsHandler } from './registrations/registrations.handler';
import type { EventsRuntime } from './runtime';
import { EventsStreams } from './shared/events-streams';
import { ZoomWebhookController, ZoomWebhookSecret } from './platforms/zoom-webhook.controller';

@Module({})
export class EventsAppModule {
  static forRuntime(runtime: EventsRuntime): DynamicModule {
    return serviceModule(EventsAppModule, {
      readiness: runtime.base.readinessChecks(),
      controllers: [EventsController, RegistrationsController, ZoomWebhookController],
      providers: [
        { provide: EventsHandler, useValue: runtime.events },
        { provide: RegistrationsHandler, useValue: runtime.registrations },
        { provide: EventsStreams, useValue: runtime.streams },
        { provide: EventsQueries, useValue: runtime.queries },
        { provide: ReadModelWaiter, useValue: runtime.waiter },
        {
          provide: ZoomWebhookSecret,
          useValue: new ZoomWebhookSecret(runtime.config.zoom?.webhookSecretToken ?? ''),
        },
      ],
    });
  }
}
