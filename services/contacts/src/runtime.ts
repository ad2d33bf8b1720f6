// Everything the contacts service runs besides its HTTP routes, built in
// one place, in dependency order, with plain constructors (no container
// magic): the database pool, the event store, the data keys and the
// personal-data event store over it, the read-model projection, the
// handlers of each capability, the bulk import worker and the relay.
// stop() takes it all down in reverse order.
import { createEventStore, type EventStore } from '@engagement/event-store';
import { startProjection, type RunningProjection } from '@engagement/projections';
import { Pool } from 'pg';
import { loadLeadScoringRules } from './activities/lead-scoring-rules';
import { RecordActivityHandler } from './activities/record-activity.handler';
import { ImportJobs } from './bulk-import/import-jobs.table';
import { ImportWorker, type ImportWorkerOptions } from './bulk-import/import-worker';
import type { ContactsConfig } from './config';
import { startContactsRelay, type RunningRelay } from './contacts-relay';
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
import type { Log } from './shared/log';
import { ReadModelWaiter } from './shared/read-your-writes';
import { TagResolver } from './tags/tag-resolver';
import { TagsHandler } from './tags/tags.handler';

const PROJECTION_STOP_MS = 3_000;

/** Waits for the promise to settle, for `ms` at most; returns its failure, if it failed by then. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<{ error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    promise.then(
      () => ({}),
      (error: unknown) => ({ error }),
    ),
    new Promise<{ error?: unknown }>((resolve) => (timer = setTimeout(() => resolve({}), ms))),
  ]);
  clearTimeout(timer);
  return outcome;
}

export interface ContactsRuntime {
  config: ContactsConfig;
  log: Log;
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
  // share it. An import row uses one connection at a time (of this pool or
  // the event store's), so the import worker runs no more rows at once than
  // this pool has connections.
  const poolSize = options.poolSize ?? 30;
  const pool = new Pool({ connectionString: config.databaseUrl, max: poolSize });
  pool.on('error', (error) => log.warn('idle database connection lost', { error: error.message }));
  const eventStore = await createEventStore({
    databaseUrl: config.databaseUrl,
    eventStoreConnectionString: config.eventStoreConnectionString,
    schema: config.eventStoreSchema,
  });

  let lastProjectionFailure: { at: number; error: string } | undefined;
  const masterKeys = loadMasterKeys(config, (message) => log.warn(message), options.masterKeyFile);
  const keys = new DataKeyStore(pool, config.schema, masterKeys);
  await keys.prepare();
  const cipher = new PersonalDataCipher(keys);
  const contactStore = new PersonalDataEventStore(eventStore, cipher);

  // The read model's tables (TypeORM migrations), then its projection from the stored events.
  await runContactsMigrations(config.databaseUrl, config.schema);
  const projection = await startProjection({
    store: eventStore,
    pool,
    projection: createContactsReadModelProjection({
      schema: config.schema,
      decrypt: (event) => cipher.decryptEvent(event),
    }),
    log: (message, fields) => {
      // The runner reports each failure before it restarts (at least every 5 s while failing).
      lastProjectionFailure = { at: Date.now(), error: String(fields?.error ?? message) };
      log.warn(message, fields);
    },
  });
  let projectionStopped = false;
  const readModel: ReadModelSource = { db: pool, schema: config.schema };

  const contacts = new ContactStreams(contactStore);
  const emails = new EmailReservations(contacts, keys);
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
        ...options.importWorker,
        concurrency: Math.min(options.importWorker?.concurrency ?? 32, poolSize),
      })
    : null;
  importWorker?.start();

  const relay: RunningRelay | null = config.relayEnabled
    ? startContactsRelay({
        store: eventStore,
        pool,
        schema: config.schema,
        kafkaBrokers: config.kafkaBrokers,
        topic: config.topic,
        partitions: config.topicPartitions,
        log,
      })
    : null;

  return {
    config,
    log,
    pool,
    eventStore,
    contactStore,
    keys,
    cipher,
    projection,
    projectionProblem() {
      if (projectionStopped) return 'stopped';
      const failure = lastProjectionFailure;
      return failure && Date.now() - failure.at < 15_000 ? `failing: ${failure.error}` : null;
    },
    readModel,
    waiter: new ReadModelWaiter(projection),
    tags,
    createContact,
    updateContact,
    recordActivity,
    eraseContact,
    importJobs,
    importWorker,
    async stop() {
      // The import worker gives its job back within its grace period (import-worker.ts).
      await Promise.all([relay?.stop(), importWorker?.stop()]);
      projectionStopped = true;
      // The projection stops after the batch it is applying. Should it take
      // longer (a restart after a failure racing with this stop), closing
      // the event store ends its subscription anyway.
      const projectionStop = await settledWithin(projection.stop(), PROJECTION_STOP_MS);
      await eventStore.close();
      await pool.end();
      if (projectionStop.error !== undefined) throw projectionStop.error;
    },
  };
}
