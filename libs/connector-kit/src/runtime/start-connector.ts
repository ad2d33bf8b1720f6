// A connector service assembled from the kit and one provider adapter, on
// the platform's common service shape (libs/service-runtime): the
// read-model projection (integrations, crm_sync_logs), the working tables,
// the contacts-topic feed, the push loop with its rate limiter and retry
// policy, the relay of sync events to `crm.<provider>`, and the HTTP API.
// stop() takes it down in reverse order (the runtime's).
import 'reflect-metadata';
import { type INestApplication } from '@nestjs/common';
import { ensureProcessedEventsTable, KafkajsBus } from '@engagement/bus';
import type { EventStore } from '@engagement/event-store';
import type { RunningProjection } from '@engagement/projections';
import {
  createServiceApp,
  ServiceRuntime,
  serviceModule,
  type Log,
} from '@engagement/service-runtime';
import { applySqlMigrations } from '@engagement/sql-migrations';
import {
  ContactErasedError,
  ContactPersonalData,
  recordErasureApplied,
} from '@engagement/personal-data';
import { ServiceIdentity } from '@engagement/service-auth';
import type { Pool } from 'pg';
import { CredentialCipher } from '../credentials/credential-envelope';
import { loadConnectorMasterKeys } from '../credentials/master-keys';
import { IntegrationViews } from '../http/integration-views';
import { integrationsController } from '../http/integrations.controller';
import { IntegrationCommands, systemContext } from '../integrations/integration-commands';
import { workingTablesSql } from '../migrations/connector-ddl';
import { formTokenEndpoint, OAuthRefresher } from '../oauth/oauth-refresher';
import { RateLimiter, TokenBucket } from '../rate-limit/token-bucket';
import { connectorProjection } from '../sync-log/connector-projection';
import { ContactsFeed } from '../sync/contacts-feed';
import type { CrmAdapter } from '../sync/crm-adapter';
import type { InboundAdapter } from '../inbound/inbound-adapter';
import { inboundTablesSql } from '../inbound/inbound-ddl';
import { setUpInbound, type InboundParts } from '../inbound/start-inbound';
import { CrmCaller } from '../sync/crm-caller';
import { CrmPusher } from '../sync/crm-pusher';
import type { PersonalDataReader } from '../sync/personal-data-reader';
import type { ConnectorConfig } from './connector-config';
import { consumerLag } from './consumer-lag';

export interface ConnectorOptions {
  config: ConnectorConfig;
  adapter: CrmAdapter;
  /** Changes from the CRM (webhooks, resync); without it the connector only pushes. */
  inbound?: InboundAdapter;
  log: Log;
  reader?: PersonalDataReader;
  env?: NodeJS.ProcessEnv;
  /** The share of the provider's budget the bucket allows; default (and at most) 0.9. */
  budgetShare?: number;
  pusher?: { idleMs?: number; settleMs?: number; roundSize?: number };
}

export interface RunningConnector {
  app: INestApplication;
  pool: Pool;
  store: EventStore;
  pusher: CrmPusher;
  caller: CrmCaller;
  projection: RunningProjection;
  commands: IntegrationCommands;
  inbound: InboundParts | null;
  stop(): Promise<void>;
}

/** Contacts events decrypted with data keys from the contacts service (this connector holds pii:read). */
export function contactsReader(config: ConnectorConfig): PersonalDataReader {
  const personalData = new ContactPersonalData({
    contactsUrl: config.contactsUrl,
    identity: new ServiceIdentity(config.name, ['pii:read'], config.serviceTokenKey),
  });
  return {
    decrypt: (event) => personalData.decrypt(event),
    isErased: (error) => error instanceof ContactErasedError,
  };
}

/** Builds the connector and its HTTP app; the caller listens (runServiceMain, or a test). */
export async function startConnector(options: ConnectorOptions): Promise<RunningConnector> {
  const { config, adapter, log } = options;
  const facts = adapter.facts;
  // A small pool: the pusher keeps at most 4 batches in flight, and PostgreSQL serves every service of the platform.
  const runtime = await ServiceRuntime.open(config.serviceName, config, log);
  const { pool, eventStore: store } = runtime;
  const cipher = new CredentialCipher(
    loadConnectorMasterKeys(options.env ?? process.env, (m) => log.warn(m)),
  );
  const commands = new IntegrationCommands(store, cipher, facts.key);
  // Master key rotation without downtime: start every process with the new key
  // first and the old one after it; the first to start re-wraps the stored
  // envelope under the new key, after which the old key can be retired.
  if (await commands.rewrap(systemContext(config.name)))
    log.info('integration credentials re-wrapped under the current master key');

  await applySqlMigrations(pool, config.schema, [
    { version: 1, sql: workingTablesSql(config.schema).join(';\n') },
    { version: 2, sql: inboundTablesSql(config.schema).join(';\n') },
  ]);
  await ensureProcessedEventsTable(pool, config.schema);
  const projection = await runtime.startProjection(connectorProjection(facts.key, config.schema));

  const share = options.budgetShare ?? 0.9;
  const limiter = new RateLimiter(
    [facts.burst, facts.daily]
      .filter((b) => b !== null)
      .map((budget) => new TokenBucket(budget!, share)),
  );
  const refresher = new OAuthRefresher(
    pool,
    commands,
    formTokenEndpoint(`${config.apiBaseUrl}${facts.tokenPath}`),
  );
  const caller = new CrmCaller({
    limiter,
    accessToken: (force) => refresher.accessToken(force),
    describe: (error) => adapter.describe(error),
    onRetry: (info) => log.warn('CRM call retried', info),
  });

  const inbound = options.inbound
    ? setUpInbound({
        pool,
        config,
        store,
        cipher,
        commands,
        crm: adapter,
        inbound: options.inbound,
        call: (work) => caller.call(work),
        log,
        env: options.env ?? process.env,
      })
    : null;

  // Dead letters go to `crm.<provider>.dlq` with the reason (besides the failed sync event).
  const dlqTopic = `${config.topic}.dlq`;
  const dlqBus = new KafkajsBus({
    brokers: config.kafkaBrokers,
    clientId: `${config.serviceName}-dlq`,
  });
  const dlq = dlqBus.producer();
  let dlqReady: Promise<void> | null = null;
  const pusher = new CrmPusher({
    erasureApplied: (contactId, detail) =>
      recordErasureApplied(store, {
        contactId,
        service: config.name,
        target: `crm:${facts.key}`,
        detail,
      }),
    pool,
    schema: config.schema,
    store,
    adapter,
    caller,
    log,
    fieldState: inbound?.fieldState,
    ...options.pusher,
    async deadLetter(letter) {
      dlqReady ??= dlqBus.ensureTopics([{ topic: dlqTopic, partitions: 1 }]);
      await dlqReady;
      await dlq.send(dlqTopic, [
        {
          key: letter.entityId,
          value: JSON.stringify({ provider: facts.key, ...letter, at: new Date().toISOString() }),
          headers: { reason: letter.reason.slice(0, 500) },
        },
      ]);
    },
  });
  const feed = new ContactsFeed({
    pool,
    schema: config.schema,
    provider: facts.key,
    reader: options.reader ?? contactsReader(config),
    onChange: () => pusher.wake(),
    erasureApplied: (contactId) =>
      recordErasureApplied(store, {
        contactId,
        service: config.name,
        target: null,
        detail: `${facts.displayName} connector: name, phone and properties removed from its working tables; the email is kept only until the CRM delete is done`,
      }),
  });

  runtime.startRelay([`crm-${facts.key}-`]);
  runtime.startConsumer({
    groupId: config.consumerGroup,
    topics: [config.contactsTopic],
    fromBeginning: true,
    handleBatch: (events) => feed.handleBatch(events),
  });
  pusher.start();
  await inbound?.start();
  runtime.onStop(async () => {
    await inbound?.stop();
    await pusher.stop();
    await dlq.close();
    await dlqBus.close();
  });

  const Integrations = integrationsController(facts.key, {
    commands,
    views: new IntegrationViews(pool, config.schema, facts.key),
    consumerLag: () =>
      consumerLag(config.kafkaBrokers, config.consumerGroup, [config.contactsTopic]),
    changed: () => {
      refresher.reset();
      pusher.wake();
    },
    caughtUp: async (position) => {
      if (position !== null)
        await projection.waitForPosition(position, 5_000).catch(() => undefined);
    },
  });
  class ConnectorModule {}
  const app = await createServiceApp({
    module: serviceModule(ConnectorModule, {
      controllers: [Integrations, ...(inbound?.controllers ?? [])],
      providers: [],
      readiness: runtime.readinessChecks(),
    }),
    log,
    auth: { audience: config.name, key: config.serviceTokenKey },
    configure: (app) => inbound?.configure(app),
    openApi: {
      title: config.serviceName,
      description: `Pushes contacts, tags and activities to ${facts.displayName}; /integrations/${facts.key} manages the integration.`,
    },
  });

  return {
    app,
    pool,
    store,
    pusher,
    caller,
    projection,
    commands,
    inbound,
    async stop() {
      await app.close();
      await runtime.stop();
    },
  };
}
