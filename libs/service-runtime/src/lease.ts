// Leases: with several instances of a service on one database, the work
// that must run once at a time (the relay, each projection, each reactor)
// runs in the instance holding its lease; the others stand by, ready to
// take over. Kafka consumers need none: consumer groups share partitions.
//
// A lease is a PostgreSQL session-level advisory lock, one per work name
// (named after the schema it writes, so that test runs and platforms on
// one database never compete), all held on one dedicated connection of the
// instance. While that connection lives no other session can take them;
// when the process dies (kill -9, a lost host) the server ends its session
// and the locks go with it. Every `retryMs` each instance tries, in one
// round trip that also proves its connection alive, the leases it lacks,
// so a standby takes over within about that. An instance whose connection
// fails (error, end, a ping that does not answer) stops its leased work at
// once and stands by again; the server releases the locks of a session it
// has lost, so the work resumes in whichever instance takes them next.
// Should a holder run on for a moment after the server let its lock go,
// the work stays safe: projections move their checkpoint with a
// compare-and-set and the relay delivers at least once anyway.
//
// Whoever holds a lease is visible to operators: the connection's
// application_name is `lease <service> pid <pid>` (see leaseHolder).
import { Client } from 'pg';
import type { Log } from './log';

/** Work that runs while the lease is held; stopped when it is lost. */
export interface LeasedWork {
  stop(): Promise<void>;
}

export interface LeasesOptions {
  databaseUrl: string;
  /** Names the instance in pg_stat_activity: `lease <service> pid <pid>`. */
  service: string;
  log: Log;
  /** How often a lease not held is tried, and the connection checked; default 2 s. */
  retryMs?: number;
}

export interface LeaseHandle {
  /** Whether this instance holds the lease now. */
  readonly held: boolean;
  /** Stops the work and gives the lease up (at the latest when the runtime stops). */
  stop(): Promise<void>;
}

/** Seed of hashtextextended for lease keys: apart from other advisory locks of the platform. */
const LEASE_SEED = 31;
const PING_TIMEOUT_MS = 5_000;

interface Lease {
  name: string;
  start: () => LeasedWork | Promise<LeasedWork>;
  held: boolean;
  work: Promise<LeasedWork | undefined> | undefined;
  removed: boolean;
}

export class Leases {
  private readonly leases: Lease[] = [];
  private client: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private closed = false;
  /** Set while the work of a lost connection is being stopped: no lease is taken meanwhile. */
  private losing: Promise<void> | undefined;
  private readonly retryMs: number;

  constructor(private readonly options: LeasesOptions) {
    this.retryMs = options.retryMs ?? 2_000;
  }

  /** The application_name of this instance's lease connection. */
  get applicationName(): string {
    return leaseApplicationName(this.options.service, process.pid);
  }

  /** The names of the leases this instance holds now. */
  held(): string[] {
    return this.leases.filter((lease) => lease.held).map((lease) => lease.name);
  }

  /**
   * Runs `start`'s work whenever this instance holds the lease `name` (at
   * once if it is free), and stops it when the lease is lost.
   */
  hold(name: string, start: () => LeasedWork | Promise<LeasedWork>): LeaseHandle {
    const lease: Lease = { name, start, held: false, work: undefined, removed: false };
    this.leases.push(lease);
    this.wake();
    return {
      get held() {
        return lease.held;
      },
      stop: async () => {
        lease.removed = true;
        this.leases.splice(this.leases.indexOf(lease), 1);
        const wasHeld = lease.held;
        await this.stopWork(lease);
        if (wasHeld && this.client)
          await this.client
            .query('SELECT pg_advisory_unlock(hashtextextended($1, $2))', [name, LEASE_SEED])
            .catch(() => undefined);
      },
    };
  }

  /** Stops every leased work and ends the connection, which frees the leases. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.all(this.leases.map((lease) => this.stopWork(lease)));
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private wake(): void {
    if (this.closed) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.ticking = this.tick().finally(() => {
      this.ticking = undefined;
      if (this.closed) return;
      if (this.again) {
        this.again = false;
        this.wake();
      } else this.timer = setTimeout(() => this.wake(), this.retryMs);
    });
  }

  private async tick(): Promise<void> {
    await this.losing;
    try {
      const client = await this.connection();
      const wanted = this.leases.filter((lease) => !lease.held);
      // One round trip: tries the leases we lack and shows the connection alive.
      const { rows } = await client.query<{ name: string; taken: boolean }>({
        text: `SELECT name, pg_try_advisory_lock(hashtextextended(name, $2)) AS taken
                 FROM unnest($1::text[]) AS name`,
        values: [wanted.map((lease) => lease.name), LEASE_SEED],
      });
      for (const row of rows) {
        const lease = wanted.find((l) => l.name === row.name);
        if (!row.taken || !lease) continue;
        if (lease.removed || this.closed) {
          await client.query('SELECT pg_advisory_unlock(hashtextextended($1, $2))', [
            row.name,
            LEASE_SEED,
          ]);
          continue;
        }
        lease.held = true;
        this.options.log.info('lease taken', { lease: lease.name });
        lease.work = Promise.resolve()
          .then(lease.start)
          .catch((error: unknown) => {
            // The work's own start failed: give the lease back so it is tried again.
            this.options.log.error('leased work could not start', {
              lease: lease.name,
              error: (error as Error).message,
            });
            lease.held = false;
            void client
              .query('SELECT pg_advisory_unlock(hashtextextended($1, $2))', [
                lease.name,
                LEASE_SEED,
              ])
              .catch(() => undefined);
            return undefined;
          });
      }
    } catch (error) {
      await this.lose(error);
    }
  }

  private async connection(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: this.applicationName,
      keepAlive: true,
      query_timeout: PING_TIMEOUT_MS,
    });
    const lost = (error: unknown) => {
      if (this.client === client && !this.closed) void this.lose(error);
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('the lease connection ended')));
    await client.connect().catch(async (error: unknown) => {
      await client.end().catch(() => undefined);
      throw error;
    });
    if (this.closed) {
      await client.end();
      throw new Error('leases closed');
    }
    this.client = client;
    return client;
  }

  /** The connection failed: whatever it held is no longer ours. */
  private lose(error: unknown): Promise<void> {
    const losing = this.stopLost(error);
    this.losing = losing;
    return losing;
  }

  private async stopLost(error: unknown): Promise<void> {
    const client = this.client;
    this.client = undefined;
    const held = this.leases.filter((lease) => lease.held);
    if (held.length > 0)
      this.options.log.warn('lease connection lost; stopping the leased work', {
        leases: held.map((lease) => lease.name),
        error: (error as Error)?.message ?? String(error),
      });
    await Promise.all(held.map((lease) => this.stopWork(lease)));
    await client?.end().catch(() => undefined);
  }

  private async stopWork(lease: Lease): Promise<void> {
    lease.held = false;
    const work = lease.work;
    lease.work = undefined;
    const running = await work;
    await running?.stop().catch((error: unknown) =>
      this.options.log.warn('leased work stopped with an error', {
        lease: lease.name,
        error: (error as Error).message,
      }),
    );
  }
}

export function leaseApplicationName(service: string, pid: number): string {
  return `lease ${service} pid ${pid}`.slice(0, 63);
}

/**
 * Who holds the lease `name` now: the application_name of the holder's
 * lease connection (`lease <service> pid <pid>`), or null when nobody does.
 */
export async function leaseHolder(
  db: { query: Client['query'] },
  name: string,
): Promise<string | null> {
  const { rows } = await (db as Client).query<{ holder: string }>(
    `SELECT a.application_name AS holder
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, $2)`,
    [name, LEASE_SEED],
  );
  return rows[0]?.holder ?? null;
}
