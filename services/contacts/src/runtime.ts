// Everything the contacts service runs besides its HTTP routes, built in
// one place, in dependency order, with plain constructors (no container
// magic): the platform's runtime (database pool, event store, projection,
// relay: @engagement/service-runtime), the data keys and the personal-data
// event store over it, the read-model projection, the handlers of each
// capability, the bulk import worker. stop() takes it all down in reverse
// order.
import type { EventStore } from '@engagement/event-store';
import type { RunningProjection } from '@engagement/projections';
import { defaultPoolSize, ServiceRuntime, type Log } from '@engagement/service-runtime';
import type { Pool } from 'pg';
import { loadLeadScoringRules } from './activities/lead-scoring-rules';
import { crmSyncConsumer } from './crm-sync/crm-sync.consumer';
import { eventActivitiesConsumer } from './activities/event-activities.consumer';
import { messageActivitiesConsumer } from './activities/message-activities.consumer';
import { RecordActivityHandler } from './activities/record-activity.handler';
import { ImportJobs } from './bulk-import/import-jobs.table';
import { ImportBatch } from './bulk-import/import-batch';
import { ImportWorker, type ImportWorkerOptions } from './bulk-import/import-worker';
import type { ContactsConfig } from './config';
import { CONTACTS_RELAYED_STREAMS } from './contacts-relay';
import { CreateContactHandler } from './contacts/create-contact.handler';
import { UpdateContactHandler } from './contacts/update-contact.handler';
import { EmailReservations } from './email-reservation/email-reservation';
import { runContactsMigrations } from './migrations';
import { DataKeyStore } from './personal-data/data-keys';
import { EraseContactHandler } from './personal-data/erase-contact.handler';
import { loadMasterKeys } from './personal-data/master-keys';
import { PersonalDataCipher } from './personal-data/personal-data-cipher';
import { PersonalDataEventStore } from './personal-data/personal-data-event-store';
import { createContactsReadModelProjection, type ReadModelSource } from './read-model';
import { ContactStreams } from './shared/contact-streams';
import { ReadModelWaiter } from './shared/read-your-writes';
import { TagResolver } from './tags/tag-resolver';
import { TagsHandler } from './tags/tags.handler';

export interface ContactsRuntime {
  config: ContactsConfig;
  log: Log;
  /** The platform's part: pool, event store, projection, relay, readiness, ordered stop. */
  base: ServiceRuntime;
  pool: Pool;
  /** The event store as stored: personal fields encrypted. */
  eventStore: EventStore;
  /** The same store through the personal-data layer: contact events decrypted. */
  contactStore: EventStore;
  keys: DataKeyStore;
  cipher: PersonalDataCipher;
  projection: RunningProjection;
  /** Why the projection is not running now, or null when it is. */
  projectionProblem(): string | null;
  readModel: ReadModelSource;
  waiter: ReadModelWaiter;
  tags: TagsHandler;
  createContact: CreateContactHandler;
  updateContact: UpdateContactHandler;
  recordActivity: RecordActivityHandler;
  eraseContact: EraseContactHandler;
  importJobs: ImportJobs;
  importWorker: ImportWorker | null;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  /** Where a development master key is kept when CONTACTS_MASTER_KEYS is unset. */
  masterKeyFile?: string;
  importWorker?: ImportWorkerOptions;
  /** Connections of the service's own pool; default 30. */
  poolSize?: number;
}

export async function startContactsRuntime(
  config: ContactsConfig,
  log: Log,
  options: RuntimeOptions = {},
): Promise<ContactsRuntime> {
  // Appends, reservations, key look-ups, projection batches and import rows
  // share the pool. An import row uses one connection at a time (of this
  // pool or the event store's), so the import worker runs no more rows at
  // once than this pool has connections.
  const poolSize = options.poolSize ?? defaultPoolSize();
  const base = await ServiceRuntime.open('contacts', config, log, { poolSize });
  const { pool, eventStore } = base;

  const masterKeys = loadMasterKeys(config, (message) => log.warn(message), options.masterKeyFile);
  const keys = new DataKeyStore(pool, config.schema, masterKeys);
  await keys.prepare();
  const cipher = new PersonalDataCipher(keys);
  const contactStore = new PersonalDataEventStore(eventStore, cipher);

  // The read model's tables (TypeORM migrations), then its projection from the stored events,
  // in batches of up to 5,000 events: a bulk import appends about 12 events per row, and a
  // batch costs a read of the store (whose visibility check scans pg_locks) and a dozen
  // statements whatever its size. A quiet stream still gets small batches.
  await runContactsMigrations(config.databaseUrl, config.schema);
  const projection = await base.startProjection(
    createContactsReadModelProjection({
      schema: config.schema,
      decrypt: (event) => cipher.decryptEvent(event),
      preloadKeys: (events) => cipher.preloadKeys(events),
    }),
    { maxBatchSize: 5_000 },
  );
  const readModel: ReadModelSource = { db: pool, schema: config.schema };

  const contacts = new ContactStreams(contactStore);
  const emails = new EmailReservations(contacts, keys, config.emailHashKey);
  const tags = new TagsHandler(contactStore);
  const tagResolver = new TagResolver(tags);
  const createContact = new CreateContactHandler(contacts, emails, tagResolver);
  const updateContact = new UpdateContactHandler(contacts, emails, tagResolver, tags);
  const rules = loadLeadScoringRules(config.leadScoringRules);
  const recordActivity = new RecordActivityHandler(contacts, rules);
  const eraseContact = new EraseContactHandler(contacts, keys, emails);

  const importJobs = new ImportJobs(pool, config.schema);
  await importJobs.prepare();
  const importWorker = config.importWorkerEnabled
    ? new ImportWorker(importJobs, createContact, log, {
        batchSize: 1_000,
        batches: new ImportBatch(createContact, tagResolver, contactStore, {
          concurrency: Math.min(16, poolSize),
        }),
        ...options.importWorker,
        concurrency: Math.min(options.importWorker?.concurrency ?? 32, poolSize),
      })
    : null;
  importWorker?.start();
  // The import worker gives its job back within its grace period (import-worker.ts).
  if (importWorker) base.onStop(() => importWorker.stop());

  base.startRelay(CONTACTS_RELAYED_STREAMS);
  if (config.eventsTopic)
    base.startConsumer(eventActivitiesConsumer(config.eventsTopic, recordActivity, config.schema));
  if (config.messagingTopic)
    base.startConsumer(
      messageActivitiesConsumer(
        config.messagingTopic,
        config.schema,
        recordActivity,
        updateContact,
      ),
    );
  if (config.crmTopics && config.crmTopics.length > 0)
    base.startConsumer(
      crmSyncConsumer({ topics: config.crmTopics, updateContact, pool, schema: config.schema }),
    );

  return {
    config,
    log,
    base,
    pool,
    eventStore,
    contactStore,
    keys,
    cipher,
    projection,
    projectionProblem: () => base.projectionProblem(),
    readModel,
    waiter: new ReadModelWaiter(projection),
    tags,
    createContact,
    updateContact,
    recordActivity,
    eraseContact,
    importJobs,
    importWorker,
    stop: () => base.stop(),
  };
}
