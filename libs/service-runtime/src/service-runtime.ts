// What every service runs besides its HTTP routes, in dependency order and
// with plain constructors: the database pool, the event store, its
// store-sourced projections (each with the problem the readiness check
// reports), its relay to Kafka, its consumers of other services' topics,
// and whatever workers the service adds. stop() takes it all down in
// reverse order: relay, consumers and workers first, then the projections,
// the event store, the bus and the pool.
//
// A service's runtime.ts opens one, builds its handlers on `pool` and
// `eventStore`, and starts what it needs:
//
//   const base = await ServiceRuntime.open('events', config, log);
//   const projection = await base.startProjection(createEventsProjection(config.schema));
//   base.startRelay(['event-', 'registration-']);
import { KafkajsBus, consumeEvents, type ConsumeEventsOptions } from '@engagement/bus';
import { createEventStore, type EventStore } from '@engagement/event-store';
import type { ReadinessCheck } from '@engagement/http';
import {
  startProjection,
  type ProjectionDefinition,
  type RunningProjection,
} from '@engagement/projections';
import { Pool } from 'pg';
import type { Log } from './log';
import type { ServiceConfig } from './service-config';
import { startReactor, type ReactorOptions, type RunningReactor } from './reactor';
import { startServiceRelay, type RunningRelay } from './service-relay';

const PROJECTION_STOP_MS = 3_000;
/** A failure reported this recently makes a projection "failing" for readiness. */
const PROJECTION_FAILURE_WINDOW_MS = 15_000;

export interface ServiceRuntimeOptions {
  /** Connections of the service's own pool; default 30. */
  poolSize?: number;
}

/** A consumer of other services' topics: consumeEvents' options without the bus. */
export type ServiceConsumerOptions = Omit<ConsumeEventsOptions, 'bus'>;

interface ProjectionEntry {
  name: string;
  running: RunningProjection;
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
  ) {}

  static async open(
    service: string,
    config: ServiceConfig,
    log: Log,
    options: ServiceRuntimeOptions = {},
  ): Promise<ServiceRuntime> {
    const pool = new Pool({ connectionString: config.databaseUrl, max: options.poolSize ?? 30 });
    pool.on('error', (error) =>
      log.warn('idle database connection lost', { error: error.message }),
    );
    try {
      const eventStore = await createEventStore({
        databaseUrl: config.databaseUrl,
        eventStoreConnectionString: config.eventStoreConnectionString,
        schema: config.eventStoreSchema,
      });
      return new ServiceRuntime(service, config, log, pool, eventStore);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  /** Creates the projection's tables if missing, then runs it live from its checkpoint. */
  async startProjection(definition: ProjectionDefinition): Promise<RunningProjection> {
    const entry: Partial<ProjectionEntry> = { name: definition.name };
    const running = await startProjection({
      store: this.eventStore,
      pool: this.pool,
      projection: definition,
      log: (message, fields) => {
        // The runner reports each failure before it restarts (at least every 5 s while failing).
        entry.lastFailure = { at: Date.now(), error: String(fields?.error ?? message) };
        this.log.warn(message, fields);
      },
    });
    entry.running = running;
    this.projections.push(entry as ProjectionEntry);
    return running;
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

  /** Relays the streams with these prefixes to the configured topic, when the relay is enabled. */
  startRelay(streamPrefixes: string[]): void {
    if (!this.config.relayEnabled) return;
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
    this.stopFirst.push(() => relay.stop());
    this.starts.push(relay.started);
  }

  /**
   * Consumes other services' topics in the background (Kafka may be down
   * at start: it is waited for), stopped with the runtime.
   */
  startConsumer(options: ServiceConsumerOptions): void {
    let stopped = false;
    let handle: { stop(): Promise<void> } | undefined;
    const starting = consumeEvents({ ...options, bus: this.kafka() })
      .then(async (started) => {
        handle = started;
        if (stopped) await started.stop();
      })
      .catch((error) => {
        if (!stopped)
          this.log.error('consumer could not start', {
            groupId: options.groupId,
            error: (error as Error).message,
          });
      });
    this.stopFirst.push(async () => {
      stopped = true;
      await handle?.stop();
    });
    this.starts.push(starting);
  }

  /** Reacts to the service's own events (see reactor.ts); stopped with the relay. */
  startReactor(options: ReactorOptions): RunningReactor {
    const reactor = startReactor(this.eventStore, this.pool, this.config.schema, this.log, options);
    this.stopFirst.push(() => reactor.stop());
    return reactor;
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
    const projectionStops = await Promise.all(
      this.projections.map((p) => settledWithin(p.running.stop(), PROJECTION_STOP_MS)),
    );
    await this.eventStore.close();
    await this.bus?.close();
    await Promise.all(this.starts);
    await this.pool.end();
    const failed = projectionStops.find((s) => s.error !== undefined);
    if (failed) throw failed.error;
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
