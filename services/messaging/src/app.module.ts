// The messaging service's Nest module: its controllers, one folder per
// capability, and the handlers they call, given by value from the runtime.
import { Module, type DynamicModule } from '@nestjs/common';
import { ReadModelWaiter, serviceModule } from '@engagement/service-runtime';
import { CampaignRunner } from './campaigns/campaign-runner';
import { CampaignsController } from './campaigns/campaigns.controller';
import { MessagesController } from './messages/messages.controller';
import { MessagingStreams } from './shared/messaging-streams';
import { MessageRequester } from './messages/request-message';
import { SendWorker } from './messages/send-queue';
import type { MessagingRuntime } from './runtime';
import { READ_MODEL } from './shared/tokens';
import { TemplatesController } from './templates/templates.controller';
import { TemplatesHandler } from './templates/templates.handler';
import { TrackingController } from './tracking/tracking.controller';
import { TrackingTokens } from './tracking/tracking-tokens';
import { TrackingHandler } from './tracking/tracking.handler';
import { WebhookSettings, WebhooksController } from './tracking/webhooks.controller';

@Module({})
export class MessagingAppModule {
  static forRuntime(runtime: MessagingRuntime): DynamicModule {
    return serviceModule(MessagingAppModule, {
      readiness: runtime.base.readinessChecks(),
      controllers: [
        TemplatesController,
        MessagesController,
        CampaignsController,
        TrackingController,
        WebhooksController,
      ],
      providers: [
        { provide: READ_MODEL, useValue: runtime.readModel },
        { provide: MessagingStreams, useValue: runtime.streams },
        { provide: CampaignRunner, useValue: runtime.campaigns },
        { provide: ReadModelWaiter, useValue: runtime.waiter },
        { provide: TemplatesHandler, useValue: runtime.templates },
        { provide: MessageRequester, useValue: runtime.requester },
        { provide: SendWorker, useValue: runtime.worker },
        { provide: TrackingTokens, useValue: runtime.tokens },
        { provide: TrackingHandler, useValue: runtime.tracking },
        { provide: WebhookSettings, useValue: runtime.webhooks },
      ],
    });
  }
}
