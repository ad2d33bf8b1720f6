// Measures the throughput of our PostgreSQL event store (libs/event-store) and
// compares it, in the same run and with the same workload shapes, with
//   (a) plain `pg`: the same rows INSERTed into a bare table (bigserial PK, no
//       other index), one autocommit INSERT per append (multi-row VALUES);
//   (b) Emmett's PostgreSQL event store (@event-driven-io/emmett-postgresql).
//
// How:
// - Each contender first gets BENCH_PREFILL_EVENTS (default 20,000) untimed
//   events, 100 per append, then its tables are ANALYZEd, as autovacuum does
//   on a store that has run for a minute. Without that, cached plans are made
//   for an empty table (BENCH_PREFILL_EVENTS=0 shows it: our append's
//   duplicate-id check then seq-scans the whole table on every append).
// - Appends: 1 and 10 events per append, from 1 writer and from 16 concurrent
//   writers; each writer appends to its own streams (a new stream every 10
//   appends, with an exact expected revision for ours and Emmett). Per shape,
//   each contender warms up for BENCH_WARMUP_SECONDS (default 1), then is
//   measured for BENCH_SECONDS (default 5) in 5 slices, the contenders taking
//   turns slice by slice (the first one rotating), so that load from other
//   processes on a shared machine falls on all of them alike.
//   appends/s = appends completed inside its slices / BENCH_SECONDS.
//   Each contender has its own pg pool of 16 connections. Afterwards the rows
//   in each table are counted and must match what was appended.
// - Emmett runs in a child process of this file (`--emmett-worker`), driven
//   over IPC: creating its store switches the process-wide `pg` type parsers
//   (int8 -> BigInt, its own JSON parser), which would change what the others
//   measure. Only one contender runs at any time.
// - Read-all: pages of 1000 from the start over every event the contender
//   wrote (ours: readAll; plain: SELECT ... WHERE id > $1 ORDER BY id LIMIT
//   1000; Emmett: readMessagesBatch, its read-all function).
// - Catch-up subscription: from the start until every event was delivered
//   (ours: subscribeToAll, batches of 1000; plain pg has none, so its column
//   repeats its paging figure; Emmett: its batch puller, the loop under its
//   consumers, and its consumer with a reactor, which also stores a checkpoint
//   per message). Each read is capped at BENCH_READ_CAP_SECONDS (default 10);
//   a capped figure is marked and covers the events read until then. Reads
//   count distinct positions too, to show duplicates or skips.
// - Ours and plain pg get fresh schemas, Emmett a fresh database (its tables
//   are not schema-qualified); all are dropped at the end.
// Prints a table, then one JSON line with every figure. Exits non-zero only on
// errors, never because a goal was missed.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Pool } from 'pg';
import { dumbo } from '@event-driven-io/dumbo';
import {
  getPostgreSQLEventStore,
  postgreSQLEventStoreMessageBatchPuller,
  readMessagesBatch,
  type PostgresEventStore as EmmettEventStore,
} from '@event-driven-io/emmett-postgresql';
import { loadPlatformConfig, PlatformNotRunningError } from '@engagement/config';
import { PostgresEventStore, type NewEvent } from '@engagement/event-store';

const SECONDS = Math.max(numberFromEnv('BENCH_SECONDS', 5), 0.1);
const WARMUP_SECONDS = numberFromEnv('BENCH_WARMUP_SECONDS', 1);
const READ_CAP_SECONDS = numberFromEnv('BENCH_READ_CAP_SECONDS', 10);
const PREFILL_EVENTS = numberFromEnv('BENCH_PREFILL_EVENTS', 20_000);
const SLICES = 5;
const PREFILL_EVENTS_PER_APPEND = 100;
const POOL_SIZE = 16;
const PAGE_SIZE = 1000;
const APPENDS_PER_STREAM = 10;
const LOCAL_FALLBACK_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const EMMETT_WORKER_FLAG = '--emmett-worker';

interface Shape {
  eventsPerAppend: number;
  writers: number;
}
const SHAPES: Shape[] = [
  { eventsPerAppend: 1, writers: 1 },
  { eventsPerAppend: 1, writers: 16 },
  { eventsPerAppend: 10, writers: 1 },
  { eventsPerAppend: 10, writers: 16 },
];

/** Appends `events` to `streamId`, which holds `eventsBefore` events so far. */
type AppendFn = (streamId: string, eventsBefore: number, events: NewEvent[]) => Promise<void>;

interface SliceResult {
  /** Appends completed before the slice's deadline. */
  appends: number;
  /** Every event written, including appends that finished after the deadline. */
  events: number;
}

/** One store under test, as the append runs see it. */
interface Contender {
  name: string;
  /** Writes the untimed prefill and ANALYZEs; returns the events written. */
  prefill(): Promise<number>;
  /** Runs one shape for `seconds`, on streams named after `label`. */
  slice(shape: Shape, label: string, seconds: number): Promise<SliceResult>;
  /** How many events its tables hold. */
  countStored(): Promise<number>;
}

interface AppendFigures {
  appendsPerSecond: number;
  eventsPerSecond: number;
}

interface WriteFigures {
  appends: AppendFigures[]; // one per SHAPES entry
  eventsWritten: number;
}

interface ReadFigures {
  eventsPerSecond: number;
  eventsRead: number;
  distinctPositions: number;
  eventsWritten: number;
  seconds: number;
  capped: boolean;
}

interface EmmettReads {
  readAll: ReadFigures;
  batchPuller: ReadFigures;
  consumer: ReadFigures;
}

// ---------------------------------------------------------------- workload

let eventCounter = 0;

function newEvents(count: number): NewEvent[] {
  const events: NewEvent[] = [];
  for (let i = 0; i < count; i++) {
    const n = ++eventCounter;
    events.push({
      id: randomUUID(),
      type: 'ContactRegistered',
      schemaVersion: 1,
      data: {
        contactId: randomUUID(),
        email: `contact${n}@example.com`,
        firstName: 'Ada',
        lastName: 'Lovelace',
        source: 'bench',
        tags: ['webinar', 'newsletter'],
        score: n % 100,
      },
      metadata: {
        correlationId: randomUUID(),
        causationId: null,
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        actor: 'bench',
        occurredAt: new Date().toISOString(),
      },
    });
  }
  return events;
}

/** Runs `shape.writers` writers for `seconds`; each starts a new stream every APPENDS_PER_STREAM appends. */
async function runSlice(
  append: AppendFn,
  shape: Shape,
  label: string,
  seconds: number,
): Promise<SliceResult> {
  const deadline = performance.now() + seconds * 1000;
  const result: SliceResult = { appends: 0, events: 0 };

  async function writer(writerIndex: number): Promise<void> {
    let stream = 0;
    let appendsInStream = 0;
    let eventsInStream = 0;
    while (performance.now() < deadline) {
      if (appendsInStream === APPENDS_PER_STREAM) {
        stream++;
        appendsInStream = 0;
        eventsInStream = 0;
      }
      const events = newEvents(shape.eventsPerAppend);
      await append(`bench-${label}w${writerIndex}s${stream}`, eventsInStream, events);
      if (performance.now() < deadline) result.appends++;
      appendsInStream++;
      eventsInStream += events.length;
      result.events += events.length;
    }
  }

  await Promise.all(Array.from({ length: shape.writers }, (_, w) => writer(w)));
  return result;
}

/** A contender living in this process. */
function localContender(
  name: string,
  append: AppendFn,
  analyze: () => Promise<void>,
  countStored: () => Promise<number>,
): Contender {
  return {
    name,
    prefill: async () => {
      let written = 0;
      for (let stream = 0; written < PREFILL_EVENTS; stream++) {
        const count = Math.min(PREFILL_EVENTS_PER_APPEND, PREFILL_EVENTS - written);
        await append(`bench-prefill-${stream}`, 0, newEvents(count));
        written += count;
      }
      if (written > 0) await analyze();
      return written;
    },
    slice: (shape, label, seconds) => runSlice(append, shape, label, seconds),
    countStored,
  };
}

/**
 * Prefills every contender, then measures every shape: each contender warms
 * up, then the contenders take turns for SLICES slices. Checks afterwards
 * that each stored exactly what it was given.
 */
async function measureWrites(contenders: Contender[]): Promise<WriteFigures[]> {
  const figures: WriteFigures[] = [];
  for (const contender of contenders) {
    figures.push({ appends: [], eventsWritten: await contender.prefill() });
  }
  const sliceSeconds = SECONDS / SLICES;
  for (const [s, shape] of SHAPES.entries()) {
    for (const [c, contender] of contenders.entries()) {
      if (WARMUP_SECONDS > 0) {
        const warmUp = await contender.slice(shape, `${s}u`, WARMUP_SECONDS);
        figures[c].eventsWritten += warmUp.events;
      }
    }
    const counted = contenders.map(() => 0);
    for (let round = 0; round < SLICES; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const c = (round + k) % contenders.length;
        const result = await contenders[c].slice(shape, `${s}r${round}`, sliceSeconds);
        counted[c] += result.appends;
        figures[c].eventsWritten += result.events;
      }
    }
    for (const [c, contender] of contenders.entries()) {
      const appendsPerSecond = counted[c] / SECONDS;
      figures[c].appends.push({
        appendsPerSecond,
        eventsPerSecond: appendsPerSecond * shape.eventsPerAppend,
      });
      log(
        `${contender.name}: append ${shapeName(shape)}: ${fmt(appendsPerSecond)} appends/s, ` +
          `${fmt(appendsPerSecond * shape.eventsPerAppend)} events/s`,
      );
    }
  }
  for (const [c, contender] of contenders.entries()) {
    const stored = await contender.countStored();
    if (stored !== figures[c].eventsWritten) {
      throw new Error(
        `${contender.name}: ${stored} events stored, but ${figures[c].eventsWritten} were appended`,
      );
    }
  }
  return figures;
}

/**
 * Calls `readPage` until it reports the end (or the cap), and times it.
 * `readPage` returns the positions it delivered and whether it reached the end.
 */
async function measureRead(
  eventsWritten: number,
  readPage: () => Promise<{ positions: (bigint | string)[]; atEnd: boolean }>,
): Promise<ReadFigures> {
  const start = performance.now();
  const deadline = start + READ_CAP_SECONDS * 1000;
  const seen = new ReadCounter();
  let capped = false;
  for (;;) {
    const page = await readPage();
    seen.add(page.positions);
    if (page.atEnd) break;
    if (performance.now() > deadline) {
      capped = true;
      break;
    }
  }
  return readFigures(start, seen, eventsWritten, capped);
}

/** Counts delivered events, and distinct global positions among them. */
class ReadCounter {
  delivered = 0;
  private readonly positions = new Set<string>();

  add(positions: (bigint | string)[]): void {
    this.delivered += positions.length;
    for (const p of positions) this.positions.add(String(p));
  }

  get distinct(): number {
    return this.positions.size;
  }
}

function readFigures(
  start: number,
  seen: ReadCounter,
  eventsWritten: number,
  capped: boolean,
): ReadFigures {
  const seconds = (performance.now() - start) / 1000;
  return {
    eventsPerSecond: seen.delivered / seconds,
    eventsRead: seen.delivered,
    distinctPositions: seen.distinct,
    eventsWritten,
    seconds,
    capped,
  };
}

// ---------------------------------------------------------------- ours

function oursContender(store: PostgresEventStore, schema: string): Contender {
  const table = `"${schema}".events`;
  return localContender(
    'ours',
    async (streamId, eventsBefore, events) => {
      await store.appendToStream(streamId, events, {
        expectedRevision: eventsBefore === 0 ? 'no_stream' : BigInt(eventsBefore - 1),
      });
    },
    async () => {
      await store.connectionPool.query(`ANALYZE ${table}`);
    },
    async () => {
      const { rows } = await store.connectionPool.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${table}`,
      );
      return Number(rows[0].n);
    },
  );
}

async function measureOurReads(store: PostgresEventStore, eventsWritten: number) {
  let after: bigint | undefined;
  const readAll = await measureRead(eventsWritten, async () => {
    const page = await store.readAll({ after, maxCount: PAGE_SIZE });
    after = page.checkpoint;
    return {
      positions: page.events.map((e) => e.globalPosition),
      atEnd: page.isEnd && page.events.length < PAGE_SIZE,
    };
  });
  log(`ours: readAll: ${fmt(readAll.eventsPerSecond)} events/s (${readAll.eventsRead} events)`);

  const subscription = await measureOurSubscription(store, eventsWritten);
  log(
    `ours: subscribeToAll: ${fmt(subscription.eventsPerSecond)} events/s (${subscription.eventsRead} events)`,
  );
  return { readAll, subscription };
}

async function measureOurSubscription(
  store: PostgresEventStore,
  eventsWritten: number,
): Promise<ReadFigures> {
  const start = performance.now();
  const seen = new ReadCounter();
  let capped = false;
  let caughtUp!: () => void;
  const allDelivered = new Promise<void>((resolve) => (caughtUp = resolve));
  const cap = setTimeout(() => {
    capped = true;
    caughtUp();
  }, READ_CAP_SECONDS * 1000);
  const subscription = store.subscribeToAll({
    maxBatchSize: PAGE_SIZE,
    handle: async (batch) => {
      seen.add(batch.events.map((e) => e.globalPosition));
      if (seen.delivered >= eventsWritten) caughtUp();
    },
  });
  await Promise.race([allDelivered, subscription.done]);
  const figures = readFigures(start, seen, eventsWritten, capped);
  clearTimeout(cap);
  await subscription.stop();
  return figures;
}

// ---------------------------------------------------------------- plain pg

async function createPlainTable(pool: Pool, schema: string): Promise<string> {
  const table = `"${schema}".events`;
  await pool.query(`CREATE SCHEMA "${schema}"`);
  await pool.query(`
    CREATE TABLE ${table} (
      id             bigserial PRIMARY KEY,
      stream_id      text    NOT NULL,
      revision       bigint  NOT NULL,
      event_id       uuid    NOT NULL,
      event_type     text    NOT NULL,
      schema_version integer NOT NULL,
      data           jsonb   NOT NULL,
      metadata       jsonb   NOT NULL
    )`);
  return table;
}

function plainContender(pool: Pool, table: string): Contender {
  return localContender(
    'plain pg',
    // One autocommit INSERT per append, one VALUES row per event.
    async (streamId, eventsBefore, events) => {
      const values: string[] = [];
      const params: unknown[] = [];
      events.forEach((event, i) => {
        const p = params.length;
        values.push(
          `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7})`,
        );
        params.push(
          streamId,
          eventsBefore + i,
          event.id,
          event.type,
          event.schemaVersion,
          JSON.stringify(event.data),
          JSON.stringify(event.metadata),
        );
      });
      await pool.query(
        `INSERT INTO ${table} (stream_id, revision, event_id, event_type, schema_version, data, metadata)
         VALUES ${values.join(', ')}`,
        params,
      );
    },
    async () => {
      await pool.query(`ANALYZE ${table}`);
    },
    async () => {
      const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      return Number(rows[0].n);
    },
  );
}

async function measurePlainReads(pool: Pool, table: string, eventsWritten: number) {
  let afterId = '0';
  const readAll = await measureRead(eventsWritten, async () => {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id, stream_id, revision, event_id, event_type, schema_version, data, metadata
         FROM ${table} WHERE id > $1 ORDER BY id LIMIT ${PAGE_SIZE}`,
      [afterId],
    );
    if (rows.length > 0) afterId = rows[rows.length - 1].id;
    return { positions: rows.map((r) => r.id), atEnd: rows.length < PAGE_SIZE };
  });
  log(
    `plain pg: SELECT paging: ${fmt(readAll.eventsPerSecond)} events/s (${readAll.eventsRead} events)`,
  );
  return { readAll };
}

// ---------------------------------------------------------------- Emmett (in the worker process)

class EmmettSide {
  private constructor(
    private readonly url: string,
    private readonly pool: Pool,
    private readonly store: EmmettEventStore,
    readonly contender: Contender,
  ) {}

  static async open(url: string): Promise<EmmettSide> {
    const pool = new Pool({ connectionString: url, max: POOL_SIZE });
    pool.on('error', () => undefined);
    // Its own pg.Pool (for the pool size), handed over as an ambient pool: close() leaves it to us.
    const store = getPostgreSQLEventStore(url, {
      connectionOptions: { connectionString: url, pool },
    });
    await store.schema.migrate();
    const contender = localContender(
      'Emmett',
      async (streamId, eventsBefore, events) => {
        await store.appendToStream(
          streamId,
          events.map((e) => ({
            type: e.type,
            data: e.data,
            // Emmett takes the message id from metadata.messageId.
            metadata: { messageId: e.id, schemaVersion: e.schemaVersion, ...e.metadata },
          })),
          // Emmett's stream version counts events (0 = no stream): an exact check, as ours.
          { expectedStreamVersion: BigInt(eventsBefore) },
        );
      },
      async () => {
        await pool.query('ANALYZE emt_streams');
        await pool.query('ANALYZE emt_messages');
      },
      async () => {
        const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM emt_messages');
        return Number(rows[0].n);
      },
    );
    return new EmmettSide(url, pool, store, contender);
  }

  async reads(eventsWritten: number): Promise<EmmettReads> {
    // Its read-all: readMessagesBatch, through a dumbo executor over the same pool.
    const executor = dumbo({ connectionString: this.url, pool: this.pool }).execute;
    let after = 0n;
    const readAll = await measureRead(eventsWritten, async () => {
      const page = await readMessagesBatch(executor, { after, batchSize: PAGE_SIZE });
      after = page.currentGlobalPosition;
      return {
        positions: page.messages.map((m) => m.metadata.globalPosition),
        atEnd: !page.areMessagesLeft,
      };
    });
    log(
      `Emmett: readMessagesBatch: ${fmt(readAll.eventsPerSecond)} events/s (${readAll.eventsRead} events)`,
    );

    // The batch puller: the catch-up loop under its consumers, without a processor.
    const pullerStart = performance.now();
    const pullerDeadline = pullerStart + READ_CAP_SECONDS * 1000;
    const pulled = new ReadCounter();
    let pullerCapped = false;
    const puller = postgreSQLEventStoreMessageBatchPuller({
      executor,
      batchSize: PAGE_SIZE,
      pullingFrequencyInMs: 0, // its fastest setting: no pause between full batches
      stopWhen: { noMessagesLeft: true },
      signal: new AbortController().signal,
      eachBatch: async (messages) => {
        pulled.add(messages.map((m) => m.metadata.globalPosition));
        if (performance.now() > pullerDeadline) {
          pullerCapped = true;
          return { type: 'STOP' };
        }
        return undefined;
      },
    });
    await puller.start({ startFrom: 'BEGINNING' });
    const batchPuller = readFigures(pullerStart, pulled, eventsWritten, pullerCapped);
    log(
      `Emmett: batch puller: ${fmt(batchPuller.eventsPerSecond)} events/s (${batchPuller.eventsRead} events)`,
    );

    // Its consumer API: consumer + reactor, which stores a checkpoint per message.
    const consumerStart = performance.now();
    const consumerDeadline = consumerStart + READ_CAP_SECONDS * 1000;
    const consumed = new ReadCounter();
    let consumerCapped = false;
    const consumer = this.store.consumer({
      pulling: { batchSize: PAGE_SIZE, pullingFrequencyInMs: 0 },
      stopWhen: { noMessagesLeft: true },
    });
    consumer.reactor({
      processorId: 'bench-reactor',
      startFrom: 'BEGINNING',
      eachMessage: async (message) => {
        consumed.add([message.metadata.globalPosition]);
        if (performance.now() > consumerDeadline) {
          consumerCapped = true;
          return { type: 'STOP' };
        }
        return undefined;
      },
    });
    await consumer.start();
    const consumerFigures = readFigures(consumerStart, consumed, eventsWritten, consumerCapped);
    await consumer.stop();
    log(
      `Emmett: consumer+reactor: ${fmt(consumerFigures.eventsPerSecond)} events/s (${consumerFigures.eventsRead} events)`,
    );
    return { readAll, batchPuller, consumer: consumerFigures };
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.pool.end();
  }
}

type WorkerRequest =
  | { id: number; method: 'prefill' }
  | { id: number; method: 'slice'; shape: Shape; label: string; seconds: number }
  | { id: number; method: 'countStored' }
  | { id: number; method: 'reads'; eventsWritten: number }
  | { id: number; method: 'close' };
type WorkerMessage = { id: number; result?: unknown; error?: string };

/** The child process: opens Emmett's store and does what the parent asks, one request at a time. */
async function runEmmettWorker(): Promise<void> {
  const url = process.env.BENCH_EMMETT_URL;
  if (!url || !process.send) throw new Error('the Emmett worker runs only as a child of the bench');
  const send = (message: WorkerMessage) => process.send!(message);
  const side = await EmmettSide.open(url);
  send({ id: 0, result: 'ready' });
  process.on('message', (request: WorkerRequest) => {
    const handle = async (): Promise<unknown> => {
      switch (request.method) {
        case 'prefill':
          return side.contender.prefill();
        case 'slice':
          return side.contender.slice(request.shape, request.label, request.seconds);
        case 'countStored':
          return side.contender.countStored();
        case 'reads':
          return side.reads(request.eventsWritten);
        case 'close':
          await side.close();
          return 'closed';
      }
    };
    handle().then(
      (result) => {
        send({ id: request.id, result });
        if (request.method === 'close') process.disconnect(); // nothing left: the process ends
      },
      (error: unknown) => send({ id: request.id, error: String((error as Error)?.stack ?? error) }),
    );
  });
}

/** The parent's handle on the worker: a Contender whose calls go over IPC. */
class EmmettWorker {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private readonly exited: Promise<number | null>;
  private readonly opened: Promise<unknown>;

  constructor(url: string) {
    this.child = fork(__filename, [EMMETT_WORKER_FLAG], {
      execArgv: process.execArgv, // -r @swc-node/register
      env: { ...process.env, BENCH_EMMETT_URL: url },
      stdio: 'inherit',
    });
    this.child.on('message', (message: WorkerMessage) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(`Emmett worker: ${message.error}`));
      else waiter.resolve(message.result);
    });
    this.opened = this.wait(0); // the worker's first message: Emmett's store is open
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        for (const waiter of this.pending.values()) {
          waiter.reject(new Error(`the Emmett worker exited with code ${code}`));
        }
        this.pending.clear();
        resolve(code);
      });
    });
  }

  /** Resolves once the worker has opened and migrated Emmett's store. */
  ready(): Promise<unknown> {
    return this.opened;
  }

  call<T>(request: Record<string, unknown> & { method: WorkerRequest['method'] }): Promise<T> {
    const id = this.nextId++;
    const result = this.wait(id);
    this.child.send({ ...request, id });
    return result as Promise<T>;
  }

  contender(): Contender {
    return {
      name: 'Emmett',
      prefill: () => this.call<number>({ method: 'prefill' }),
      slice: (shape, label, seconds) =>
        this.call<SliceResult>({ method: 'slice', shape, label, seconds }),
      countStored: () => this.call<number>({ method: 'countStored' }),
    };
  }

  /** Asks the worker to close Emmett's store and exit; kills it if it does not within 10 s. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) {
      await this.call({ method: 'close' }).catch(() => undefined);
    }
    const timer = setTimeout(() => this.child.kill(), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  private wait(id: number): Promise<unknown> {
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const { url: databaseUrl, source } = resolveDatabaseUrl();
  const runId = `bench_${Date.now().toString(36)}_${process.pid}`;
  const oursSchema = `${runId}_ours`;
  const plainSchema = `${runId}_plain`;
  const emmettDatabase = `${runId}_emmett`;

  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  let emmettDatabaseCreated = false;
  let worker: EmmettWorker | undefined;
  let store: PostgresEventStore | undefined;
  const plainPool = new Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  plainPool.on('error', () => undefined);
  try {
    const version = (await admin.query<{ v: string }>('SELECT version() AS v')).rows[0].v;
    log(`PostgreSQL: ${version.split(',')[0]} at ${redact(databaseUrl)} (from ${source})`);
    log(
      `${SECONDS} s per append shape (${SLICES} slices, taking turns) after ${WARMUP_SECONDS} s warm-up, ` +
        `pool ${POOL_SIZE}, prefill ${PREFILL_EVENTS} events, reads capped at ${READ_CAP_SECONDS} s; ` +
        `schemas ${oursSchema}, ${plainSchema}; database ${emmettDatabase}`,
    );
    await admin.query(`CREATE DATABASE "${emmettDatabase}"`);
    emmettDatabaseCreated = true;
    worker = new EmmettWorker(withDatabase(databaseUrl, emmettDatabase));
    await worker.ready();
    store = await PostgresEventStore.connect({
      connectionString: databaseUrl,
      schema: oursSchema,
      poolSize: POOL_SIZE,
    });
    const plainTable = await createPlainTable(plainPool, plainSchema);
    await checkpoint(admin);

    const [oursWrites, plainWrites, emmettWrites] = await measureWrites([
      oursContender(store, oursSchema),
      plainContender(plainPool, plainTable),
      worker.contender(),
    ]);
    const ours = {
      writes: oursWrites,
      ...(await measureOurReads(store, oursWrites.eventsWritten)),
    };
    const plain = {
      writes: plainWrites,
      ...(await measurePlainReads(plainPool, plainTable, plainWrites.eventsWritten)),
    };
    const emmettReads = await worker.call<EmmettReads>({
      method: 'reads',
      eventsWritten: emmettWrites.eventsWritten,
    });
    const emmett = { writes: emmettWrites, ...emmettReads };

    report({ version, databaseUrl: redact(databaseUrl), source, ours, plain, emmett });
  } finally {
    await store?.close().catch(warn);
    await plainPool.end().catch(warn);
    await worker?.close().catch(warn);
    await admin.query(`DROP SCHEMA IF EXISTS "${oursSchema}" CASCADE`).catch(warn);
    await admin.query(`DROP SCHEMA IF EXISTS "${plainSchema}" CASCADE`).catch(warn);
    if (emmettDatabaseCreated) {
      await admin.query(`DROP DATABASE IF EXISTS "${emmettDatabase}" WITH (FORCE)`).catch(warn);
    }
    await admin.end();
  }
}

// ---------------------------------------------------------------- report

type Results = {
  version: string;
  databaseUrl: string;
  source: string;
  ours: { writes: WriteFigures; readAll: ReadFigures; subscription: ReadFigures };
  plain: { writes: WriteFigures; readAll: ReadFigures };
  emmett: { writes: WriteFigures } & EmmettReads;
};

interface Row {
  workload: string;
  ours: number;
  oursAppends?: number;
  plain: number;
  plainAppends?: number;
  plainNote?: string;
  emmett: number;
  emmettAppends?: number;
  emmettNote?: string;
  note?: string;
}

function report(r: Results): void {
  const rows: Row[] = SHAPES.map((shape, i) => ({
    workload: `append ${shapeName(shape)}`,
    ours: r.ours.writes.appends[i].eventsPerSecond,
    oursAppends: r.ours.writes.appends[i].appendsPerSecond,
    plain: r.plain.writes.appends[i].eventsPerSecond,
    plainAppends: r.plain.writes.appends[i].appendsPerSecond,
    emmett: r.emmett.writes.appends[i].eventsPerSecond,
    emmettAppends: r.emmett.writes.appends[i].appendsPerSecond,
  }));
  rows.push({
    workload: 'read-all, pages of 1000',
    ours: r.ours.readAll.eventsPerSecond,
    plain: r.plain.readAll.eventsPerSecond,
    emmett: r.emmett.readAll.eventsPerSecond,
    emmettNote: 'readMessagesBatch',
    note: readNote(r.ours.readAll, r.plain.readAll, r.emmett.readAll),
  });
  rows.push({
    workload: 'catch-up subscription',
    ours: r.ours.subscription.eventsPerSecond,
    plain: r.plain.readAll.eventsPerSecond,
    plainNote: 'none: its SELECT paging figure',
    emmett: r.emmett.batchPuller.eventsPerSecond,
    emmettNote: 'batch puller (no checkpoints)',
    note: readNote(r.ours.subscription, r.plain.readAll, r.emmett.batchPuller),
  });
  rows.push({
    workload: 'catch-up vs Emmett consumer',
    ours: r.ours.subscription.eventsPerSecond,
    plain: r.plain.readAll.eventsPerSecond,
    plainNote: 'none: its SELECT paging figure',
    emmett: r.emmett.consumer.eventsPerSecond,
    emmettNote: 'consumer + reactor, which stores a checkpoint per message',
    note: readNote(r.ours.subscription, r.plain.readAll, r.emmett.consumer),
  });

  const header = [
    'workload',
    'ours app/s',
    'ours ev/s',
    'plain app/s',
    'plain ev/s',
    'Emmett app/s',
    'Emmett ev/s',
    'ours/plain',
    'ours/Emmett',
    '>=50% plain',
    'ahead of Emmett',
  ];
  const lines = rows.map((row) => {
    const vsPlain = row.ours / row.plain;
    const vsEmmett = row.ours / row.emmett;
    return [
      row.workload,
      row.oursAppends === undefined ? '-' : fmt(row.oursAppends),
      fmt(row.ours),
      row.plainAppends === undefined ? '-' : fmt(row.plainAppends),
      fmt(row.plain),
      row.emmettAppends === undefined ? '-' : fmt(row.emmettAppends),
      fmt(row.emmett),
      `${vsPlain.toFixed(2)}x`,
      `${vsEmmett.toFixed(2)}x`,
      vsPlain >= 0.5 ? 'met' : 'MISSED',
      vsEmmett > 1 ? 'met' : 'MISSED',
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const printRow = (cells: string[]) =>
    console.log(
      cells
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  '),
    );

  console.log('');
  console.log(
    'Event store benchmark (events/s unless noted; goals: ours >= 50% of plain pg, ours ahead of Emmett)',
  );
  printRow(header);
  printRow(widths.map((w) => '-'.repeat(w)));
  lines.forEach(printRow);
  console.log('');
  console.log('Notes:');
  console.log(
    `- events written: ours ${r.ours.writes.eventsWritten}, plain pg ${r.plain.writes.eventsWritten}, ` +
      `Emmett ${r.emmett.writes.eventsWritten} (each one's reads go over its own events)`,
  );
  for (const row of rows) {
    const parts = [
      row.plainNote && `plain pg = ${row.plainNote}`,
      row.emmettNote && `Emmett = ${row.emmettNote}`,
      row.note,
    ]
      .filter(Boolean)
      .join('; ');
    if (parts) console.log(`- ${row.workload}: ${parts}`);
  }
  console.log(
    '- plain pg: autocommit INSERT; no expected-revision check, no unique (stream, revision) or event-id index',
  );
  console.log(
    '- ours: one append_to_stream() call per append, plus a pg_notify transaction after commits (coalesced)',
  );
  console.log(
    '- Emmett: BEGIN + emt_append_to_stream() + COMMIT per append; no event-id uniqueness; runs in a child process',
  );

  const json = {
    benchmark: 'event-store',
    at: new Date().toISOString(),
    postgres: r.version.split(',')[0],
    database: r.databaseUrl,
    databaseSource: r.source,
    settings: {
      seconds: SECONDS,
      slices: SLICES,
      warmupSeconds: WARMUP_SECONDS,
      readCapSeconds: READ_CAP_SECONDS,
      prefillEvents: PREFILL_EVENTS,
      poolSize: POOL_SIZE,
      pageSize: PAGE_SIZE,
      appendsPerStream: APPENDS_PER_STREAM,
    },
    appends: SHAPES.map((shape, i) => ({
      eventsPerAppend: shape.eventsPerAppend,
      writers: shape.writers,
      ours: round(r.ours.writes.appends[i]),
      plain: round(r.plain.writes.appends[i]),
      emmett: round(r.emmett.writes.appends[i]),
    })),
    eventsWritten: {
      ours: r.ours.writes.eventsWritten,
      plain: r.plain.writes.eventsWritten,
      emmett: r.emmett.writes.eventsWritten,
    },
    reads: {
      ours: { readAll: round(r.ours.readAll), subscription: round(r.ours.subscription) },
      plain: { selectPaging: round(r.plain.readAll) },
      emmett: {
        readMessagesBatch: round(r.emmett.readAll),
        batchPuller: round(r.emmett.batchPuller),
        consumerReactor: round(r.emmett.consumer),
      },
    },
    goals: rows.map((row) => ({
      workload: row.workload,
      oursToPlain: ratio(row.ours, row.plain),
      oursToEmmett: ratio(row.ours, row.emmett),
      atLeastHalfOfPlain: row.ours / row.plain >= 0.5,
      aheadOfEmmett: row.ours > row.emmett,
    })),
  };
  console.log(JSON.stringify(json));
}

function readNote(ours: ReadFigures, plain: ReadFigures, emmett: ReadFigures): string | undefined {
  const notes: string[] = [];
  for (const [name, f] of [
    ['ours', ours],
    ['plain pg', plain],
    ['Emmett', emmett],
  ] as const) {
    if (f.capped) {
      notes.push(
        `${name} capped after ${f.seconds.toFixed(1)} s (${f.eventsRead} of ${f.eventsWritten})`,
      );
    } else if (f.eventsRead !== f.eventsWritten || f.distinctPositions !== f.eventsWritten) {
      notes.push(
        `${name} delivered ${f.eventsRead} events (${f.distinctPositions} distinct) of ${f.eventsWritten}`,
      );
    }
  }
  return notes.length ? notes.join('; ') : undefined;
}

// ---------------------------------------------------------------- helpers

/** The database of loadPlatformConfig (DATABASE_URL, else .data/platform.json), else the local server. */
function resolveDatabaseUrl(): { url: string; source: string } {
  try {
    // loadPlatformConfig also insists on Kafka brokers, which this benchmark does not use.
    const config = loadPlatformConfig({
      ...process.env,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? 'unused:9092',
    });
    return {
      url: config.databaseUrl,
      source: process.env.DATABASE_URL ? 'DATABASE_URL' : '.data/platform.json',
    };
  } catch (error) {
    if (!(error instanceof PlatformNotRunningError)) throw error;
    return {
      url: LOCAL_FALLBACK_URL,
      source: 'no DATABASE_URL nor .data/platform.json: the local server',
    };
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** Flushes dirty buffers before measuring, so that the prefill's are not flushed during the runs. */
async function checkpoint(admin: Client): Promise<void> {
  await admin.query('CHECKPOINT').catch(() => undefined); // needs superuser or pg_checkpoint; optional
}

function shapeName(shape: Shape): string {
  return `${shape.eventsPerAppend} ev x ${shape.writers} writer${shape.writers > 1 ? 's' : ''}`;
}

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a non-negative number; got "${raw}"`);
  }
  return value;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

function round<T extends object>(figures: T): T {
  return Object.fromEntries(
    Object.entries(figures).map(([k, v]) => [
      k,
      typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 10) / 10 : v,
    ]),
  ) as T;
}

function log(message: string): void {
  console.log(`[event-store bench] ${message}`);
}

function warn(error: unknown): void {
  console.error('[event-store bench] cleanup failed:', error);
}

const isWorker = process.argv.includes(EMMETT_WORKER_FLAG);
(isWorker ? runEmmettWorker() : main()).then(
  () => {
    if (!isWorker) process.exit(0);
  },
  (error: unknown) => {
    console.error(`[event-store bench]${isWorker ? ' Emmett worker' : ''} failed:`, error);
    process.exit(1);
  },
);
