// What a projection is: a named set of read-model tables and a function that
// applies a batch of events to them. The same definition serves the live
// runner (from the event store or from Kafka), rebuilds, audits and swaps,
// so a projection is written once.
import type { EventFilter, RecordedEvent } from '@engagement/event-store';
import type { PoolClient } from 'pg';

export interface ProjectionTable {
  name: string;
  /** Columns that identify a row: the audit matches live and rebuilt rows on them. */
  primaryKey: string[];
}

export interface ProjectionDefinition {
  /** Unique across the platform, kebab-case: 'contacts-read-model'. */
  name: string;
  /** The schema its live tables are in (the owning service's schema). */
  schema: string;
  /**
   * Every table it writes, parents before children. Rebuild, audit and swap
   * act on exactly these. Rows must be a pure function of the events: take
   * times from event metadata, ids from event data, never now() or random().
   */
  tables: ProjectionTable[];
  /** Where live events come from. Rebuilds always read the event store. */
  source: 'event-store' | 'kafka';
  /** Which events of the store it needs. */
  filter: EventFilter;
  /** Creates its tables in `schema` if missing (also used for fresh rebuild schemas). */
  migrate(client: PoolClient, schema: string): Promise<void>;
  /**
   * Optional: the part of applying a batch that needs no database
   * transaction (decrypting, upcasting). Store-sourced batches are decoded
   * before their transaction begins, and a rebuild decodes the next page
   * while the current one is written; apply then gets the result as
   * `decoded`. Kafka-fed batches are decoded inside, after the repeats are
   * dropped.
   */
  decode?(events: RecordedEvent[]): Promise<unknown>;
  /**
   * Applies events in order, inside the runner's transaction; the search_path
   * is set to the target schema, so SQL names tables without a schema.
   * Must tolerate seeing an event again only for kafka-sourced projections
   * (the runner filters repeats by event id); store-sourced ones get each
   * event exactly once through the checkpoint. `decoded` is decode's result
   * for exactly these events, when the projection has a decode.
   */
  apply(events: RecordedEvent[], client: PoolClient, decoded?: unknown): Promise<void>;
}
