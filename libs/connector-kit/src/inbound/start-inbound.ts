// The inbound half of a connector, assembled: the webhook receiver and its
// public route (with the raw-body parser for that path), the applier loop,
// the resync runner and its admin route, and what the pusher needs to know
// of what the CRM has (crm_field_state). startConnector() builds it when
// the provider gives an InboundAdapter.
import type { INestApplication, Type } from '@nestjs/common';
import type { EventStore } from '@engagement/event-store';
import { raw } from 'express';
import type { Pool } from 'pg';
import type { CredentialCipher } from '../credentials/credential-envelope';
import type { IntegrationCommands } from '../integrations/integration-commands';
import type { ConnectorConfig } from '../runtime/connector-config';
import type { Call, CrmAdapter } from '../sync/crm-adapter';
import { ContactsWriter } from './contacts-writer';
import { CrmFieldState } from './crm-field-state';
import type { InboundAdapter } from './inbound-adapter';
import { InboundApplier } from './inbound-applier';
import { resyncController } from './resync.controller';
import { ResyncRunner } from './resync-runner';
import { WebhookReceiver, type ReceiverLog } from './webhook-receiver';
import { webhooksController } from './webhooks.controller';

export interface InboundParts {
  receiver: WebhookReceiver;
  applier: InboundApplier;
  resync: ResyncRunner;
  fieldState: CrmFieldState;
  controllers: Type<unknown>[];
  /** Installs the raw-body parser of the webhook path (before the JSON one). */
  configure(app: INestApplication): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function setUpInbound(o: {
  pool: Pool;
  config: ConnectorConfig;
  store: EventStore;
  cipher: CredentialCipher;
  commands: IntegrationCommands;
  crm: CrmAdapter;
  inbound: InboundAdapter;
  call: Call;
  log: ReceiverLog;
  env: NodeJS.ProcessEnv;
  idleMs?: number;
}): InboundParts {
  const provider = o.crm.facts.key;
  const schema = o.config.schema;
  const writer = new ContactsWriter({ contactsUrl: o.config.contactsUrl, key: o.config.serviceTokenKey, serviceName: o.config.name, provider });
  const applier = new InboundApplier({ pool: o.pool, schema, store: o.store, crm: o.crm, inbound: o.inbound, call: o.call, writer, log: o.log, idleMs: o.idleMs });
  const receiver = new WebhookReceiver({
    pool: o.pool,
    schema,
    provider,
    store: o.store,
    cipher: o.cipher,
    commands: o.commands,
    adapter: o.inbound,
    log: o.log,
    env: o.env,
    queued: () => applier.wake(),
  });
  const resync = new ResyncRunner({ pool: o.pool, schema, provider, inbound: o.inbound, applier, call: o.call, log: o.log });
  let schedule: NodeJS.Timeout | null = null;
  return {
    receiver,
    applier,
    resync,
    fieldState: new CrmFieldState(o.pool, schema),
    controllers: [webhooksController(provider, receiver), resyncController(provider, resync)],
    configure(app) {
      // Verified on the exact bytes: nothing parses this path before the receiver.
      app.use(`/webhooks/${provider}`, raw({ type: () => true, limit: '1mb' }));
    },
    async start() {
      applier.start();
      await resync.resumeUnfinished();
      // Scheduled resyncs (config.resync_interval_minutes): looked at every minute.
      schedule = setInterval(() => {
        resync.startIfDue().catch((error) => o.log.warn('scheduled resync not started', { error: (error as Error).message }));
      }, 60_000);
      schedule.unref();
    },
    async stop() {
      if (schedule) clearInterval(schedule);
      await resync.stop();
      await applier.stop();
    },
  };
}
