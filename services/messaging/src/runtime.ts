// Everything the messaging service runs besides its HTTP routes, built in
// one place and in dependency order on the platform's ServiceRuntime: the
// read-model and send-queue projections (from messaging's own streams), the
// replica of contacts (from topic `contacts`), the channels, the send
// workers, the reminder scheduler and the campaign runner, and the relay of
// messaging's streams to topic `messaging`.
import {
  ContactErasedError,
  ContactPersonalData,
  recordErasureApplied,
  SealingEventStore,
} from '@engagement/personal-data';
import { applyKafkaBatch } from '@engagement/projections';
import { ServiceIdentity } from '@engagement/service-auth';
import {
  prepareProjection,
  type ProjectionDefinition,
  type RunningProjection,
} from '@engagement/projections';
import { ensureReminderTemplate, ReminderScheduler } from './reminders/reminder-scheduler';
import { remindersProjection } from './reminders/reminders.projection';
import {
  defaultPoolSize,
  ReadModelWaiter,
  ServiceRuntime,
  type Log,
} from '@engagement/service-runtime';
import { CampaignBatch } from './campaigns/campaign-batch';
import { CampaignRunner } from './campaigns/campaign-runner';
import type { ChannelProvider } from './channels/channel';
import { EmailChannel } from './channels/email.channel';
import { RecordedChannel } from './channels/recorded.channel';
import { TwilioChannel } from './channels/twilio.channel';
import type { MessagingConfig } from './config';
import { contactsReplicaProjection } from './contacts-replica/contacts-replica.projection';
import {
  personalFieldsReader,
  type ContactEventDecrypter,
} from './contacts-replica/personal-fields';
import { RecipientDirectory } from './contacts-replica/recipient-directory';
import { Dispatcher } from './messages/dispatcher';
import { MessageRequester } from './messages/request-message';
import { SendWorker, sendQueueProjection } from './messages/send-queue';
import type { ReadModelSource } from './read-model/messaging.queries';
import { messagingReadModelProjection } from './read-model/messaging-read-model.projection';
import { sealedMessageFieldsOf } from './messages/sealed-message-fields';
import { MessagingStreams } from './shared/messaging-streams';
import { ExternalContent } from './templates/external-content';
import { TemplatesHandler } from './templates/templates.handler';
import { TrackingTokens } from './tracking/tracking-tokens';
import { TrackingHandler } from './tracking/tracking.handler';
import { WebhookSettings } from './tracking/webhooks.controller';

/** The streams messaging writes, relayed to topic `messaging`. */
export const MESSAGING_STREAMS = ['message-', 'template-', 'campaign-'];

export interface MessagingRuntimeOptions {
  /** Decrypts contacts' personal fields (@engagement/personal-data); null: fields in clear only. */
  decrypter?: ContactEventDecrypter | null;
  isErasedError?: (error: unknown) => boolean;
  /** Replaces the channels (tests). */
  channels?: Partial<Record<string, ChannelProvider>>;
  clock?: () => Date;
  /** Consume topic `contacts` into the replica (default true). */
  consumeContacts?: boolean;
  /** Connections of the service's own pool (the event store has its own); default 15. */
  poolSize?: number;
  /** Send campaigns in batches (default true); false: one message at a time through the send queue. */
  campaignBatches?: boolean;
  /** Consume topic `events` into the reminder schedule (default true). */
  consumeEvents?: boolean;
}

export interface MessagingRuntime {
  config: MessagingConfig;
  log: Log;
  base: ServiceRuntime;
  streams: MessagingStreams;
  readModel: ReadModelSource;
  projection: RunningProjection;
  waiter: ReadModelWaiter;
  templates: TemplatesHandler;
  requester: MessageRequester;
  dispatcher: Dispatcher;
  worker: SendWorker;
  tokens: TrackingTokens;
  tracking: TrackingHandler;
  webhooks: WebhookSettings;
  recipients: RecipientDirectory;
  /** The reminder schedule's projection (tests feed it events as Kafka would). */
  reminders: ProjectionDefinition;
  scheduler: ReminderScheduler;
  campaigns: CampaignRunner;
  stop(): Promise<void>;
}

export async function startMessagingRuntime(
  config: MessagingConfig,
  log: Log,
  options: MessagingRuntimeOptions = {},
): Promise<MessagingRuntime> {
  const base = await ServiceRuntime.open('messaging', config, log, {
    // The database is shared by every service: waiting a moment for a connection beats refusals.
    poolSize: options.poolSize ?? defaultPoolSize(),
  });
  const { pool, eventStore } = base;
  const clock = options.clock ?? (() => new Date());
  // Personal fields are read with the contact's data keys, asked of the
  // contacts service under messaging's own identity (scope pii:read).
  const identity = new ServiceIdentity('messaging', ['pii:read'], config.serviceTokenKey);
  const decrypter =
    options.decrypter !== undefined
      ? options.decrypter
      : new ContactPersonalData({ contactsUrl: config.contactsUrl, identity });
  // What messaging's own events hold about a person is sealed with that person's key.
  const sealer = decrypter instanceof ContactPersonalData ? decrypter : null;
  const streams = new MessagingStreams(
    sealer
      ? new SealingEventStore(eventStore, sealer, sealedMessageFieldsOf, { openOnRead: true })
      : eventStore,
  );

  const projection = await base.startProjection(
    messagingReadModelProjection(config.schema, sealer),
  );
  await base.startProjection(sendQueueProjection(config.schema));

  const replica = contactsReplicaProjection(config.schema);
  await prepareProjection(pool, replica);
  if (options.consumeContacts !== false) {
    base.startConsumer({
      groupId: `${config.schema}-contacts-replica`,
      topics: [config.contactsTopic],
      handleBatch: async (events) => {
        await applyKafkaBatch(pool, { projection: replica, schema: config.schema }, events);
        // Receipts after the commit (idempotent by their own id): the erasure report shows messaging applied it.
        for (const event of events.filter((e) => e.type === 'ContactErased')) {
          await recordErasureApplied(eventStore, {
            contactId: String(event.data.contactId),
            service: config.name,
            target: null,
            detail:
              'replica personal fields removed; sent_messages recipient and content blanked; no further sends',
          });
        }
      },
    });
  }

  const recipients = new RecipientDirectory(
    pool,
    config.schema,
    personalFieldsReader(
      decrypter,
      options.isErasedError ?? ((error) => error instanceof ContactErasedError),
    ),
    // A campaign page's keys in one request: its decrypts here and its seals on append use them.
    sealer ? (contactIds) => sealer.preload(contactIds) : undefined,
  );
  const tokens = new TrackingTokens(config.trackingSecret);
  const templates = new TemplatesHandler(streams);
  const requester = new MessageRequester(
    streams,
    templates,
    recipients,
    pool,
    config.schema,
    new ExternalContent(eventStore),
  );

  const email = new EmailChannel({
    smtpUrl: config.smtpUrl,
    from: config.emailFrom,
    messageIdDomain: config.messageIdDomain,
    maxConnections: config.smtpPool,
  });
  const twilio = new TwilioChannel({ ...config.twilio, timeoutMs: 10_000 });
  const recorded = new RecordedChannel();
  const channels = {
    email,
    sms: twilio,
    whatsapp: twilio,
    push: recorded,
    in_app: recorded,
    ...(options.channels ?? {}),
  };
  const dispatcher = new Dispatcher(streams, {
    channels,
    recipients,
    tokens,
    publicUrl: config.publicUrl,
    quietHours: config.quietHours,
    dailyCap: config.dailyCap,
    maxAttempts: config.maxAttempts,
    retryBaseMs: config.retryBaseMs,
    pool,
    schema: config.schema,
    clock,
  });
  const worker = new SendWorker({
    pool,
    schema: config.schema,
    dispatch: (id) => dispatcher.dispatch(id),
    concurrency: config.sendConcurrency,
    leaseMs: config.leaseMs,
    pollMs: 200,
    clock,
    log: (message, fields) => log.warn(message, fields),
  });
  if (config.workersEnabled) {
    worker.start();
    base.onStop(() => worker.stop());
  }
  base.onStop(async () => {
    await Promise.all([email.close(), twilio.close()]);
  });

  // Reminders: the schedule from topic `events`, and the scheduler that requests them when due.
  const reminders = remindersProjection(config.schema, config.reminderOffsets);
  await prepareProjection(pool, reminders);
  await ensureReminderTemplate(templates);
  const scheduler = new ReminderScheduler({
    pool,
    schema: config.schema,
    requester,
    recipients,
    leaseMs: config.leaseMs,
    pollMs: 1_000,
    batchSize: 100,
    clock,
    onRequested: () => worker.poke(),
    log: (message, fields) => log.warn(message, fields),
  });
  if (options.consumeEvents !== false) {
    base.startConsumer({
      groupId: `${config.schema}-reminders`,
      topics: [config.eventsTopic],
      handleBatch: async (events) => {
        await applyKafkaBatch(pool, { projection: reminders, schema: config.schema }, events);
        scheduler.poke();
      },
    });
  }
  if (config.workersEnabled) {
    scheduler.start();
    base.onStop(() => scheduler.stop());
  }

  const batch =
    options.campaignBatches === false
      ? null
      : new CampaignBatch({
          pool,
          schema: config.schema,
          streams,
          requester,
          recipients,
          channels,
          tokens,
          publicUrl: config.publicUrl,
          quietHours: config.quietHours,
          dailyCap: config.dailyCap,
          maxAttempts: config.maxAttempts,
          retryBaseMs: config.retryBaseMs,
          leaseMs: config.leaseMs,
          concurrency: config.sendConcurrency,
          clock,
        });
  const campaigns = new CampaignRunner({
    pool,
    schema: config.schema,
    streams,
    requester,
    recipients,
    leaseMs: config.leaseMs,
    pollMs: 1_000,
    concurrency: config.sendConcurrency,
    batch,
    clock,
    onRequested: () => worker.poke(),
    log: (message, fields) => log.warn(message, fields),
  });
  await campaigns.prepare();
  if (config.workersEnabled) {
    campaigns.start();
    base.onStop(() => campaigns.stop());
  }

  base.startRelay(MESSAGING_STREAMS);

  return {
    config,
    log,
    base,
    streams,
    readModel: { pool, schema: config.schema },
    projection,
    waiter: new ReadModelWaiter(projection),
    templates,
    requester,
    dispatcher,
    worker,
    tokens,
    tracking: new TrackingHandler(streams, clock),
    webhooks: new WebhookSettings(config.publicUrl, config.twilio.authToken),
    recipients,
    reminders,
    scheduler,
    campaigns,
    stop: () => base.stop(),
  };
}
