// The PostgreSQL adapter of the event store port (the default). Appends are
// one call of a stored function; reads and subscriptions only see positions
// below the oldest append to this store still in flight (see
// postgres-event-store.schema.ts for why that makes them gap-free, and why
// other transactions, however long, do not hold them back).
import { EventEmitter } from 'node:events';
import { Client, Pool, type PoolConfig } from 'pg';
import { validateAppend, validateMultiAppend, validateStreamId } from '../append-validation';
import { DuplicateEventIdError, InvalidAppendError, WrongExpectedRevisionError } from '../errors';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { PollingSubscription } from '../polling-subscription';
import { migratePostgresEventStore } from './postgres-event-store.migrate';
import { quoteIdent } from '@engagement/sql-migrations';

export interface PostgresEventStoreOptions {
  connectionString: string;
  /** Schema of the events table; `event_store` unless tests isolate themselves. */
  schema?: string;
  poolSize?: number;
  /** How often a live subscription looks for new events when nobody told it of any. */
  pollIntervalMs?: number;
}

const DEFAULT_READ_BATCH = 500;
const NOTIFY_EVERY_MS = 5;
const MAX_READ_BATCH = 10_000;

/**
 * The events' JSON goes to PostgreSQL as one JSON array text, split back into
 * a jsonb[] by the statement: as a jsonb[] parameter, node-postgres would
 * escape every quote of every document into an array literal, which cost
 * more CPU than anything else in a large append.
 */
const JSONB_ARRAY = (param: string) =>
  `ARRAY(SELECT j.d FROM jsonb_array_elements(${param}::jsonb) WITH ORDINALITY AS j(d, n) ORDER BY j.n)`;

function jsonArrayText(documents: readonly string[]): string {
  return `[${documents.join(',')}]`;
}

interface EventRow {
  global_position: string;
  stream_id: string;
  revision: string;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: RecordedEvent['data'];
  metadata: RecordedEvent['metadata'];
}

export class PostgresEventStore implements EventStore {
  private readonly pool: Pool;
  private readonly schema: string;
  private readonly table: string;
  private readonly appended = new EventEmitter();
  private readonly channel: string;
  private listener: Client | undefined;
  private notifier: Client | undefined;
  private notifyScheduled = false;
  private notifyInFlight = false;
  private notifyPending = false;
  private lastNotifyAt = 0;
  private readonly subscriptions = new Set<PollingSubscription>();
  private closed = false;

  private constructor(private readonly options: PostgresEventStoreOptions) {
    this.schema = options.schema ?? 'event_store';
    this.table = `${quoteIdent(this.schema)}.events`;
    this.channel = `${this.schema}_appended`;
    const config: PoolConfig = {
      connectionString: options.connectionString,
      max: options.poolSize ?? 5,
    };
    this.pool = new Pool(config);
    // An idle client that loses its connection (the server restarted) must not crash the process.
    this.pool.on('error', () => undefined);
    this.appended.setMaxListeners(0);
  }

  /** Connects and applies the schema's migrations. */
  static async connect(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(options);
    try {
      await migratePostgresEventStore(store.pool, store.schema);
      // After a restore into a new cluster, new positions must still come
      // above every stored one (and so above every checkpoint).
      await store.pool.query(`SELECT ${quoteIdent(store.schema)}.raise_position_offset()`);
    } catch (error) {
      await store.pool.end();
      throw error;
    }
    return store;
  }

  async appendToStream(
    streamId: string,
    events: NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const expected = options?.expectedRevision;
    const { dataJson, metadataJson } = validateAppend(streamId, events, expected);
    const ids = events.map((e) => e.id);
    let row: {
      outcome: 'appended' | 'conflict';
      stream_revision: string | null;
      last_position: string | null;
    };
    try {
      const { rows } = await this.pool.query<typeof row>(
        `SELECT outcome, stream_revision, last_position
           FROM ${quoteIdent(this.schema)}.append_to_stream($1, $2, $3::uuid[], $4::text[], $5::int[],
                ${JSONB_ARRAY('$6')}, ${JSONB_ARRAY('$7')})`,
        [
          streamId,
          String(expected),
          ids,
          events.map((e) => e.type),
          events.map((e) => e.schemaVersion),
          jsonArrayText(dataJson),
          jsonArrayText(metadataJson),
        ],
      );
      row = rows[0];
    } catch (error) {
      // Some ids are stored already: a retry of an append that went through, or a clash.
      if ((error as { hint?: string }).hint === 'EVDUP')
        return this.answerRepeatedIds(streamId, ids, error);
      throw error;
    }
    if (row.outcome === 'conflict') {
      // A retried append meets its own earlier success as a conflict: answer it as before.
      const stored = await this.findStoredIds(streamId, ids);
      if (stored.found > 0) return this.answerRepeatedIds(streamId, ids, null, stored);
      throw new WrongExpectedRevisionError(
        streamId,
        expected,
        row.stream_revision === null ? null : BigInt(row.stream_revision),
      );
    }
    this.announceAppend();
    return {
      nextExpectedRevision: BigInt(row.stream_revision!),
      position: BigInt(row.last_position!),
    };
  }

  async appendToStreams(appends: StreamAppend[]): Promise<AppendResult[]> {
    const json = validateMultiAppend(appends);
    const flat = appends.flatMap((a, i) =>
      a.events.map((e, j) => ({
        stream: i + 1,
        event: e,
        data: json[i].dataJson[j],
        metadata: json[i].metadataJson[j],
      })),
    );
    let rows: {
      stream_id: string;
      outcome: 'appended' | 'conflict';
      stream_revision: string | null;
      last_position: string | null;
    }[];
    try {
      // One statement: every stream's check and every insert, in one transaction.
      ({ rows } = await this.pool.query(
        `SELECT stream_id, outcome, stream_revision, last_position
           FROM ${quoteIdent(this.schema)}.append_to_streams($1::text[], $2::text[], $3::int[],
                $4::uuid[], $5::text[], $6::int[], ${JSONB_ARRAY('$7')}, ${JSONB_ARRAY('$8')})`,
        [
          appends.map((a) => a.streamId),
          appends.map((a) => String(a.expectedRevision)),
          flat.map((f) => f.stream),
          flat.map((f) => f.event.id),
          flat.map((f) => f.event.type),
          flat.map((f) => f.event.schemaVersion),
          jsonArrayText(flat.map((f) => f.data)),
          jsonArrayText(flat.map((f) => f.metadata)),
        ],
      ));
    } catch (error) {
      if ((error as { hint?: string }).hint === 'EVDUP')
        return this.answerRepeatedMultiAppend(appends, error);
      throw error;
    }
    const conflict = rows.find((r) => r.outcome === 'conflict');
    if (conflict) {
      // A retried multi-append meets its own earlier success as a conflict.
      const repeated = await this.answerRepeatedMultiAppend(appends, null).catch(() => null);
      if (repeated) return repeated;
      const append = appends.find((a) => a.streamId === conflict.stream_id)!;
      throw new WrongExpectedRevisionError(
        conflict.stream_id,
        append.expectedRevision,
        conflict.stream_revision === null ? null : BigInt(conflict.stream_revision),
      );
    }
    this.announceAppend();
    return rows.map((r) => ({
      nextExpectedRevision: BigInt(r.stream_revision!),
      position: BigInt(r.last_position!),
    }));
  }

  /**
   * Every id of every part stored in its own stream: the original results.
   * None stored: rethrow the cause (or null without one). Otherwise a clash.
   */
  private async answerRepeatedMultiAppend(
    appends: StreamAppend[],
    cause: unknown,
  ): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    let found = 0;
    let allInPlace = true;
    for (const append of appends) {
      const ids = append.events.map((e) => e.id);
      const stored = await this.findStoredIds(append.streamId, ids);
      found += stored.found;
      if (stored.in_stream !== ids.length) allInPlace = false;
      else
        results.push({
          nextExpectedRevision: BigInt(stored.revision!),
          position: BigInt(stored.position!),
        });
    }
    if (allInPlace) return results;
    if (found === 0) throw cause ?? new Error('no event of the append is stored');
    const first = appends[0];
    throw new DuplicateEventIdError(
      first.streamId,
      appends.flatMap((a) => a.events.map((e) => e.id)),
    );
  }

  private async findStoredIds(streamId: string, ids: string[]) {
    const { rows } = await this.pool.query<{
      found: number;
      in_stream: number;
      revision: string | null;
      position: string | null;
    }>(
      `SELECT count(*)::int AS found, (count(*) FILTER (WHERE stream_id = $1))::int AS in_stream,
              max(revision) AS revision, max(global_position) AS position
         FROM ${this.table} WHERE event_id = ANY ($2::uuid[])`,
      [streamId, ids],
    );
    return rows[0];
  }

  /** Every id stored in this stream: the original result. Some, or elsewhere: a clash. */
  private async answerRepeatedIds(
    streamId: string,
    ids: string[],
    cause: unknown,
    known?: Awaited<ReturnType<PostgresEventStore['findStoredIds']>>,
  ): Promise<AppendResult> {
    const stored = known ?? (await this.findStoredIds(streamId, ids));
    if (stored.in_stream === ids.length) {
      return { nextExpectedRevision: BigInt(stored.revision!), position: BigInt(stored.position!) };
    }
    if (stored.found === 0 && cause) throw cause;
    throw new DuplicateEventIdError(streamId, ids);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    validateStreamId(streamId);
    const from = options.fromRevision ?? 0n;
    const limit = options.maxCount ?? 2_147_483_647;
    if (from < 0n || !Number.isInteger(limit) || limit < 1) {
      throw new InvalidAppendError('fromRevision must be >= 0 and maxCount a positive integer');
    }
    const { rows } = await this.pool.query<EventRow>(
      `SELECT global_position, stream_id, revision, event_id, event_type, schema_version, data, metadata
         FROM ${this.table} WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3`,
      [streamId, from.toString(), limit],
    );
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const after = options.after ?? -1n;
    const limit = options.maxCount ?? DEFAULT_READ_BATCH;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_READ_BATCH) {
      throw new InvalidAppendError(`maxCount must be an integer from 1 to ${MAX_READ_BATCH}`);
    }
    const filter = options.filter;
    // read_all looks at the appends in flight first, then reads the page
    // with a later snapshot (see postgres-event-store.schema.ts).
    const { rows } = await this.pool.query<
      EventRow & { boundary: string; head: string | null; below: string | null }
    >(`SELECT * FROM ${quoteIdent(this.schema)}.read_all($1, $2, $3::text[], $4::text[])`, [
      after.toString(),
      limit,
      filter?.streamPrefixes?.length
        ? filter.streamPrefixes.map((p) => p.replace(/[\\%_]/g, '\\$&') + '%')
        : null,
      filter?.eventTypes?.length ? filter.eventTypes : null,
    ]);
    const boundary = BigInt(rows[0].boundary);
    const events = rows.filter((r) => r.global_position !== null).map(toRecordedEvent);
    if (events.length === limit) {
      return { events, checkpoint: events[events.length - 1].globalPosition, isEnd: false };
    }
    // The checkpoint is the highest stored position read past, never the
    // boundary itself: a restore raises new positions above stored ones only.
    const below = rows[0].below === null ? -1n : BigInt(rows[0].below);
    const head = rows[0].head === null ? -1n : BigInt(rows[0].head);
    const checkpoint = below > after ? below : after;
    // Committed events above the boundary wait for an older append to end.
    const waitingForOlderAppend = head >= boundary;
    return { events, checkpoint, isEnd: !waitingForOlderAppend };
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    if (this.closed) throw new Error('The event store is closed');
    const subscription = new PollingSubscription(
      (after, maxCount) => this.readAll({ after, maxCount, filter: options.filter }),
      options,
      this.options.pollIntervalMs ?? 500,
      Boolean(options.filter),
    );
    this.subscriptions.add(subscription);
    const wake = () => subscription.wake();
    this.appended.on('appended', wake);
    void this.ensureListener();
    subscription.done
      .catch(() => undefined)
      .finally(() => {
        this.appended.off('appended', wake);
        this.subscriptions.delete(subscription);
      });
    subscription.start();
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((s) => s.stop()));
    if (this.listener) await this.listener.end().catch(() => undefined);
    if (this.notifier) await this.notifier.end().catch(() => undefined);
    await this.pool.end();
  }

  /** The pool, for tests and tools of this library that need raw SQL. */
  get connectionPool(): Pool {
    return this.pool;
  }

  // Wakes subscriptions in this process at once, and in other processes
  // through NOTIFY. The NOTIFY is sent after the append committed, outside
  // its transaction (NOTIFY inside would serialise all commits), on its own
  // connection, and at most once per NOTIFY_EVERY_MS: each NOTIFY is a
  // transaction with a commit of its own, too costly to send per append.
  // The first append after a quiet spell is announced at once (the relay's
  // lag starts here); appends within the next NOTIFY_EVERY_MS, or while a
  // NOTIFY is on its way, share the one sent after it.
  private announceAppend(): void {
    this.appended.emit('appended');
    this.requestNotify();
  }

  private requestNotify(): void {
    if (this.closed) return;
    if (this.notifyInFlight || this.notifyScheduled) {
      this.notifyPending = true;
      return;
    }
    const wait = this.lastNotifyAt + NOTIFY_EVERY_MS - Date.now();
    if (wait <= 0) {
      void this.sendNotify();
      return;
    }
    this.notifyScheduled = true;
    setTimeout(() => {
      this.notifyScheduled = false;
      void this.sendNotify();
    }, wait).unref();
  }

  private async sendNotify(): Promise<void> {
    // One NOTIFY at a time on the connection; appends meanwhile ask for the next.
    if (this.closed) return;
    this.notifyPending = false;
    this.lastNotifyAt = Date.now();
    this.notifyInFlight = true;
    try {
      if (!this.notifier) {
        const client = new Client({ connectionString: this.options.connectionString });
        client.on('error', () => {
          if (this.notifier === client) this.notifier = undefined;
        });
        this.notifier = client;
        await client.connect();
      }
      await this.notifier.query('SELECT pg_notify($1, $2)', [this.channel, '']);
    } catch {
      // Subscriptions elsewhere still poll; the next append tries a new connection.
      const broken = this.notifier;
      this.notifier = undefined;
      await broken?.end().catch(() => undefined);
    } finally {
      this.notifyInFlight = false;
      if (this.notifyPending) this.requestNotify();
    }
  }

  private async ensureListener(): Promise<void> {
    if (this.listener || this.closed) return;
    const client = new Client({ connectionString: this.options.connectionString });
    this.listener = client;
    client.on('error', () => {
      // Lost the LISTEN connection: subscriptions keep polling; reconnect later.
      this.listener = undefined;
      setTimeout(() => void this.ensureListener(), 1_000).unref();
    });
    client.on('notification', () => this.appended.emit('appended'));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch {
      this.listener = undefined;
      await client.end().catch(() => undefined);
      if (!this.closed) setTimeout(() => void this.ensureListener(), 1_000).unref();
    }
  }
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    streamId: row.stream_id,
    revision: BigInt(row.revision),
    globalPosition: BigInt(row.global_position),
  };
}
