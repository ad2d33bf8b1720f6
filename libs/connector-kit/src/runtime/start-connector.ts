// A connector service assembled from the kit and one provider adapter:
// database pool, event store, the read-model projection (integrations,
// crm_sync_logs), the working tables, the contacts-topic feed, the push
// loop with its rate limiter and retry policy, the relay of sync events to
// `crm.<provider>`, and the HTTP API. stop() takes it down in reverse order.
//
// Kept minimal on purpose: the platform's common service shape
// (libs/service-runtime) replaces the generic parts once it lands.
import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import {
  consumeEvents,
  ensureProcessedEventsTable,
  KafkajsBus,
  PostgresRelayCheckpoints,
  startRelay,
  type ConsumerHandle,
  type Relay,
} from '@engagement/bus';
import { createEventStore, type EventStore } from '@engagement/event-store';
import { createHttpService, HealthController, READINESS_CHECKS } from '@engagement/http';
import { startProjection, type RunningProjection } from '@engagement/projections';
import { applySqlMigrations } from '@engagement/sql-migrations';
import { Pool } from 'pg';
import { CredentialCipher } from '../credentials/credential-envelope';
import { loadConnectorMasterKeys } from '../credentials/master-keys';
import { IntegrationViews } from '../http/integration-views';
import { integrationsController } from '../http/integrations.controller';
import { IntegrationCommands } from '../integrations/integration-commands';
import { workingTablesSql } from '../migrations/connector-ddl';
import { formTokenEndpoint, OAuthRefresher } from '../oauth/oauth-refresher';
import { RateLimiter, TokenBucket } from '../rate-limit/token-bucket';
import { connectorProjection } from '../sync-log/connector-projection';
import { ContactsFeed } from '../sync/contacts-feed';
import type { CrmAdapter } from '../sync/crm-adapter';
import { CrmCaller } from '../sync/crm-caller';
import { CrmPusher } from '../sync/crm-pusher';
import { clearTextOnlyReader, type PersonalDataReader } from '../sync/personal-data-reader';
import type { ConnectorConfig } from './connector-config';
import { consumerLag } from './consumer-lag';

export interface ConnectorLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function jsonLog(service: string): ConnectorLog {
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, service, msg, ...fields }) + '\n');
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

export interface ConnectorOptions {
  config: ConnectorConfig;
  adapter: CrmAdapter;
  log: ConnectorLog;
  reader?: PersonalDataReader;
  env?: NodeJS.ProcessEnv;
  /** Tests: the share of the provider's budget; default 0.9. */
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
  stop(): Promise<void>;
}

export async function startConnector(options: ConnectorOptions): Promise<RunningConnector> {
  const { config, adapter, log } = options;
  const facts = adapter.facts;
  const pool = new Pool({ connectionString: config.databaseUrl, max: 20 });
  pool.on('error', (error) => log.warn('idle database connection lost', { error: error.message }));
  const store = await createEventStore({
    databaseUrl: config.databaseUrl,
    eventStoreConnectionString: config.eventStoreConnectionString,
    schema: config.eventStoreSchema,
  });
  const cipher = new CredentialCipher(loadConnectorMasterKeys(options.env ?? process.env, (m) => log.warn(m)));
  const commands = new IntegrationCommands(store, cipher, facts.key);

  await applySqlMigrations(pool, config.schema, [{ version: 1, sql: workingTablesSql(config.schema).join(';\n') }]);
  await ensureProcessedEventsTable(pool, config.schema);
  const projection = await startProjection({
    store,
    pool,
    projection: connectorProjection(facts.key, config.schema),
    log: (message, fields) => log.warn(message, fields),
  });

  const share = options.budgetShare ?? 0.9;
  const limiter = new RateLimiter(
    [facts.burst, facts.daily].filter((b) => b !== null).map((budget) => new TokenBucket(budget!, share)),
  );
  const refresher = new OAuthRefresher(pool, commands, formTokenEndpoint(`${config.apiBaseUrl}${facts.tokenPath}`));
  const caller = new CrmCaller({
    limiter,
    accessToken: (force) => refresher.accessToken(force),
    describe: (error) => adapter.describe(error),
    onRetry: (info) => log.warn('CRM call retried', info),
  });

  const bus = new KafkajsBus({ brokers: config.kafkaBrokers, clientId: config.serviceName });
  const dlqTopic = `${config.crmTopic}.dlq`;
  const dlq = bus.producer();
  const pusher = new CrmPusher({
    pool,
    schema: config.schema,
    store,
    adapter,
    caller,
    log,
    ...options.pusher,
    async deadLetter(letter) {
      await dlq.send(dlqTopic, [
        { key: letter.entityId, value: JSON.stringify({ provider: facts.key, ...letter, at: new Date().toISOString() }), headers: { reason: letter.reason.slice(0, 500) } },
      ]);
    },
  });

  const feed = new ContactsFeed({
    pool,
    schema: config.schema,
    provider: facts.key,
    reader: options.reader ?? clearTextOnlyReader,
    onChange: () => pusher.wake(),
  });

  let consumer: ConsumerHandle | undefined;
  let relay: Relay | undefined;
  let stopped = false;
  const background = (async () => {
    await bus.ensureTopics([
      { topic: config.crmTopic, partitions: config.topicPartitions },
      { topic: dlqTopic, partitions: 1 },
    ]);
    if (stopped) return;
    if (config.relayEnabled) {
      relay = startRelay({
        store,
        bus,
        topic: config.crmTopic,
        filter: { streamPrefixes: [`crm-${facts.key}-`] },
        checkpoints: new PostgresRelayCheckpoints(pool, config.schema),
        name: `${config.serviceName}-relay:${config.crmTopic}`,
      });
    }
    await bus.ensureTopics([{ topic: config.contactsTopic, partitions: 6 }]);
    if (stopped) return;
    consumer = await consumeEvents({
      bus,
      groupId: config.consumerGroup,
      topics: [config.contactsTopic],
      fromBeginning: true,
      handleBatch: (events) => feed.handleBatch(events),
    });
  })().catch((error) => {
    if (!stopped) log.error('Kafka side could not start', { error: (error as Error).message });
  });
  pusher.start();

  const views = new IntegrationViews(pool, config.schema, facts.key);
  const Integrations = integrationsController(facts.key, {
    commands,
    views,
    consumerLag: () => consumerLag(config.kafkaBrokers, config.consumerGroup, [config.contactsTopic]),
    changed: () => {
      refresher.reset();
      pusher.wake();
    },
    caughtUp: async (position) => {
      if (position !== null) await projection.waitForPosition(position, 5_000).catch(() => undefined);
    },
  });

  @Module({
    controllers: [HealthController, Integrations],
    providers: [
      {
        provide: READINESS_CHECKS,
        useValue: [{ name: 'database', check: async () => void (await pool.query('SELECT 1')) }],
      },
    ],
  })
  class ConnectorModule {}

  const app = await createHttpService(ConnectorModule, '1mb', config.serviceName);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle(config.serviceName).setVersion('1').build(),
  );
  app.getHttpAdapter().get('/openapi.json', (_req: unknown, res: { json(body: unknown): void }) => res.json(document));
  await app.listen(config.port, config.host);

  return {
    app,
    pool,
    store,
    pusher,
    caller,
    projection,
    commands,
    async stop() {
      stopped = true;
      await app.close();
      await pusher.stop();
      await consumer?.stop();
      await relay?.stop();
      await background;
      await dlq.close();
      await bus.close();
      await projection.stop();
      await store.close();
      await pool.end();
    },
  };
}
