// What every service runs besides its HTTP routes, in dependency order and
// with plain constructors: the database pool, the event store, its
// store-sourced projections (each with the problem the readiness check
// reports), its relay to Kafka, its consumers of other services' topics,
// and whatever workers the service adds. stop() takes it all down in
// reverse order: relay, consumers and workers first, then the projections,
// the event store, the bus and the pool.
//
// Several instances of a service may run on one database and Kafka: the
// relay, each projection and each reactor then run in one instance at a
// time, the one holding its lease (lease.ts); the others stand by and take
// over within seconds when it dies. Consumers share the partitions of their
// consumer group. Every instance serves requests: reads wait for the
// projection's stored checkpoint when another instance runs it, and
// readiness does not depend on holding a lease.
//
// A service's runtime.ts opens one, builds its handlers on `pool` and
// `eventStore`, and starts what it needs:
//
//   const base = await ServiceRuntime.open('events', config, log);
//   const projection = await base.startProjection(createEventsProjection(config.schema));
//   base.startRelay(['event-', 'registration-']);
import {
  KafkajsBus,
  PostgresRelayCheckpoints,
  consumeEvents,
  type ConsumeEventsOptions,
} from '@engagement/bus';
import { createEventStore, type EventStore } from '@engagement/event-store';
import type { ReadinessCheck } from '@engagement/http';
import {
  prepareProjection,
  quoteIdent,
  startProjection,
  type ProjectionDefinition,
  type RunningProjection,
} from '@engagement/projections';
import { Pool } from 'pg';
import type { Log } from './log';
import { Leases, type LeaseHandle } from './lease';
import type { ServiceConfig } from './service-config';
import { startReactor, type ReactorOptions, type RunningReactor } from './reactor';
import { startServiceRelay, type RunningRelay } from './service-relay';

const PROJECTION_STOP_MS = 3_000;
/** A failure reported this recently makes a projection "failing" for readiness. */
const PROJECTION_FAILURE_WINDOW_MS = 15_000;

export interface ServiceRuntimeOptions {
  /** Connections of the service's own pool; default 30. */
  poolSize?: number;
  /** How often a standby tries the leases it lacks (lease.ts); default 2 s. */
  leaseRetryMs?: number;
}

/** How often a standby instance looks at a checkpoint another instance moves, while a read waits for it. */
const CHECKPOINT_POLL_MS = 25;

/** A consumer of other services' topics: consumeEvents' options without the bus. */
export type ServiceConsumerOptions = Omit<ConsumeEventsOptions, 'bus'>;

interface ProjectionEntry {
  name: string;
  lease: LeaseHandle;
  lastFailure?: { at: number; error: string };
}

export class ServiceRuntime {
  private readonly projections: ProjectionEntry[] = [];
  private readonly stopFirst: Array<() => Promise<void>> = [];
  /** Starts that may still wait for Kafka: they end when the bus closes. */
  private readonly starts: Array<Promise<unknown>> = [];
  private bus: KafkajsBus | undefined;
  private stopped = false;

  private constructor(
    readonly service: string,
    readonly config: ServiceConfig,
    readonly log: Log,
    readonly pool: Pool,
    /** The event store as stored. */
    readonly eventStore: EventStore,
    /** The leases of the relay, projections and reactors this instance may run. */
    readonly leases: Leases,
  ) {}

  static async open(
    service: string,
    config: ServiceConfig,
    log: Log,
    options: ServiceRuntimeOptions = {},
  ): Promise<ServiceRuntime> {
    // Small by default: seven services (and their test copies) share one
    // PostgreSQL, whose max_connections is often 100; DB_POOL_SIZE raises it.
    const pool = new Pool({
      connectionString: config.databaseUrl,
      max: options.poolSize ?? defaultPoolSize(),
    });
    pool.on('error', (error) =>
      log.warn('idle database connection lost', { error: error.message }),
    );
    try {
      const eventStore = await createEventStore({
        databaseUrl: config.databaseUrl,
        eventStoreConnectionString: config.eventStoreConnectionString,
        schema: config.eventStoreSchema,
      });
      const leases = new Leases({
        databaseUrl: config.databaseUrl,
        service,
        log,
        retryMs: options.leaseRetryMs,
      });
      return new ServiceRuntime(service, config, log, pool, eventStore, leases);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  /**
   * Creates the projection's tables if missing, then runs it live from its
   * checkpoint whenever this instance holds its lease. The answer serves
   * read-your-writes either way: while another instance runs the
   * projection, waitForPosition watches the stored checkpoint.
   */
  async startProjection(
    definition: ProjectionDefinition,
    options: { maxBatchSize?: number } = {},
  ): Promise<RunningProjection> {
    await prepareProjection(this.pool, definition);
    let running: RunningProjection | undefined;
    let stored = -1n;
    const entry: Partial<ProjectionEntry> = { name: definition.name };
    const lease = this.leases.hold(
      `${definition.schema}:projection:${definition.name}`,
      async () => {
        const started = await startProjection({
          store: this.eventStore,
          pool: this.pool,
          projection: definition,
          // Events per batch at most (the runner's default: 1,000).
          maxBatchSize: options.maxBatchSize,
          log: (message, fields) => {
            // The runner reports each failure before it restarts (at least every 5 s while failing).
            entry.lastFailure = { at: Date.now(), error: String(fields?.error ?? message) };
            this.log.warn(message, fields);
          },
        });
        running = started;
        return {
          stop: async () => {
            if (running === started) running = undefined;
            await started.stop();
          },
        };
      },
    );
    entry.lease = lease;
    this.projections.push(entry as ProjectionEntry);
    const checkpointSql = `SELECT position FROM ${quoteIdent(definition.schema)}.projection_checkpoints WHERE projection = $1`;
    const readStored = async () => {
      const { rows } = await this.pool.query<{ position: string }>(checkpointSql, [
        definition.name,
      ]);
      if (rows.length > 0 && BigInt(rows[0].position) > stored) stored = BigInt(rows[0].position);
      return stored;
    };
    return {
      get position() {
        return running ? running.position : stored;
      },
      waitForPosition: (target, timeoutMs = 10_000) =>
        waitUntilReached(
          target,
          timeoutMs,
          () => running,
          readStored,
          `${definition.name} did not reach position ${target} within ${timeoutMs} ms`,
        ),
      stop: () => lease.stop(),
    };
  }

  /** Why a projection is not running now (the first one's reason), or null when all run. */
  projectionProblem(): string | null {
    if (this.stopped) return 'stopped';
    const now = Date.now();
    for (const { name, lastFailure } of this.projections) {
      if (lastFailure && now - lastFailure.at < PROJECTION_FAILURE_WINDOW_MS)
        return `${name} failing: ${lastFailure.error}`;
    }
    return null;
  }

  /** What /ready checks: the database answers and every projection runs. */
  readinessChecks(): ReadinessCheck[] {
    return [
      { name: 'database', check: async () => void (await this.pool.query('SELECT 1')) },
      {
        name: 'projections',
        check: async () => {
          const problem = this.projectionProblem();
          if (problem) throw new Error(`a projection is ${problem}`);
        },
      },
    ];
  }

  /**
   * Relays the streams with these prefixes to the configured topic, when the
   * relay is enabled, whenever this instance holds the relay's lease.
   */
  startRelay(streamPrefixes: string[]): void {
    if (!this.config.relayEnabled) return;
    const lease = this.leases.hold(`${this.config.schema}:relay:${this.config.topic}`, () => {
      const relay: RunningRelay = startServiceRelay({
        service: this.service,
        store: this.eventStore,
        bus: this.kafka(),
        pool: this.pool,
        schema: this.config.schema,
        topic: this.config.topic,
        partitions: this.config.topicPartitions,
        streamPrefixes,
        log: this.log,
      });
      this.starts.push(relay.started);
      return relay;
    });
    this.stopFirst.push(() => lease.stop());
  }

  /**
   * Consumes other services' topics in the background (Kafka may be down
   * at start: it is waited for), stopped with the runtime.
   */
  startConsumer(options: ServiceConsumerOptions): void {
    let stopped = false;
    let handle: { stop(): Promise<void> } | undefined;
    let wake: (() => void) | undefined;
    // The topic may not exist yet (its service starts later): the start is
    // tried again with backoff until it works or the runtime stops.
    const starting = (async () => {
      for (let attempt = 1; !stopped; attempt++) {
        try {
          handle = await consumeEvents({ ...options, bus: this.kafka() });
          if (stopped) await handle.stop();
          return;
        } catch (error) {
          if (stopped) return;
          const retryInMs = Math.min(500 * 2 ** (attempt - 1), 30_000);
          this.log.warn('consumer could not start; trying again', {
            groupId: options.groupId,
            error: (error as Error).message,
            retryInMs,
          });
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, retryInMs);
            wake = () => (clearTimeout(timer), resolve());
          });
        }
      }
    })();
    this.stopFirst.push(async () => {
      stopped = true;
      wake?.();
      await handle?.stop();
    });
    this.starts.push(starting);
  }

  /**
   * Reacts to the service's own events (see reactor.ts) whenever this
   * instance holds the reactor's lease; stopped with the relay.
   */
  startReactor(options: ReactorOptions): RunningReactor {
    let running: RunningReactor | undefined;
    const lease = this.leases.hold(`${this.config.schema}:reactor:${options.name}`, () => {
      const started = startReactor(
        this.eventStore,
        this.pool,
        this.config.schema,
        this.log,
        options,
      );
      running = started;
      return {
        stop: async () => {
          if (running === started) running = undefined;
          await started.stop();
        },
      };
    });
    this.stopFirst.push(() => lease.stop());
    const checkpoints = new PostgresRelayCheckpoints(this.pool, this.config.schema);
    let stored: bigint | undefined;
    const readStored = async () => {
      const loaded = await checkpoints.load(`reactor:${options.name}`).catch(() => undefined);
      if (loaded !== undefined && (stored === undefined || loaded > stored)) stored = loaded;
      return stored ?? -1n;
    };
    return {
      get checkpoint() {
        return running ? running.checkpoint : stored;
      },
      waitFor: (position, timeoutMs = 10_000) =>
        waitUntilReached(
          position,
          timeoutMs,
          () =>
            running && {
              waitForPosition: (p, ms) => running!.waitFor(p, ms),
              position: running.checkpoint ?? -1n,
            },
          readStored,
          `reactor ${options.name} did not reach ${position} in ${timeoutMs} ms`,
        ),
      stop: () => lease.stop(),
    };
  }

  /** The leases this instance holds now (relay, projections, reactors), by name. */
  leasesHeld(): string[] {
    return this.leases.held();
  }

  /** Work of the service's own (a worker) stopped together with the relay, before the projections. */
  onStop(stop: () => Promise<void>): void {
    this.stopFirst.push(stop);
  }

  async stop(): Promise<void> {
    await Promise.all(this.stopFirst.map((stop) => stop()));
    this.stopped = true;
    // A projection stops after the batch it is applying. Should it take
    // longer (a restart after a failure racing with this stop), closing the
    // event store ends its subscription anyway.
    await Promise.all(
      this.projections.map((p) => settledWithin(p.lease.stop(), PROJECTION_STOP_MS)),
    );
    await this.leases.close();
    await this.eventStore.close();
    await this.bus?.close();
    await Promise.all(this.starts);
    await this.pool.end();
  }

  /** One Kafka client per runtime, for the relay and the consumers; made on first use. */
  private kafka(): KafkajsBus {
    this.bus ??= new KafkajsBus({ brokers: this.config.kafkaBrokers, clientId: this.service });
    return this.bus;
  }
}

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

/**
 * Waits until work that may run here or in another instance has reached
 * `target`: through the running work while this instance runs it, else by
 * watching its stored checkpoint.
 */
async function waitUntilReached(
  target: bigint,
  timeoutMs: number,
  local: () => Pick<RunningProjection, 'position' | 'waitForPosition'> | undefined,
  readStored: () => Promise<bigint>,
  timeoutMessage: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = local();
    const left = deadline - Date.now();
    if (running) {
      if (running.position >= target) return;
      if (left <= 0) break;
      // In slices: should the lease go meanwhile, the stored checkpoint is watched instead.
      const reached = await running
        .waitForPosition(target, Math.min(left, 1_000))
        .then(() => true)
        .catch(() => false);
      if (reached) return;
    } else {
      if ((await readStored()) >= target) return;
      if (left <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, CHECKPOINT_POLL_MS)));
    }
  }
  throw new Error(timeoutMessage);
}

/** DB_POOL_SIZE, else 10 connections per service pool. */
export function defaultPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.DB_POOL_SIZE ?? 10);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`DB_POOL_SIZE must be a positive whole number; got "${env.DB_POOL_SIZE}"`);
  }
  return value;
}
