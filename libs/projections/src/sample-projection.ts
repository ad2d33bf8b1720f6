// A small projection used by this library's tests and by the pipeline's
// sample processes: one row per sample contact, counting renames. Rows come
// only from event data and metadata, so a rebuild reproduces them exactly.
import type { RecordedEvent } from '@engagement/event-store';
import type { PoolClient } from 'pg';
import type { ProjectionDefinition } from './projection';

export function sampleContactsProjection(options: {
  schema: string;
  streamPrefix: string;
  source?: 'event-store' | 'kafka';
  name?: string;
}): ProjectionDefinition {
  return {
    name: options.name ?? 'sample-contacts',
    schema: options.schema,
    tables: [{ name: 'sample_contacts', primaryKey: ['id'] }],
    source: options.source ?? 'event-store',
    filter: { streamPrefixes: [options.streamPrefix] },
    async migrate(client: PoolClient, schema: string) {
      await client.query(`CREATE TABLE IF NOT EXISTS "${schema}".sample_contacts (
        id text PRIMARY KEY,
        email text NOT NULL,
        name text,
        renames integer NOT NULL DEFAULT 0,
        last_position bigint NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    },
    // Set-based: the batch is folded per contact in memory and written with
    // two statements, whatever its size (a rebuild page is 5,000 events).
    // The rows are those of applying the events one by one, since each
    // stream's events arrive in order (the store's order; Kafka's per key).
    async apply(events: RecordedEvent[], client: PoolClient) {
      const created = new Map<string, RecordedEvent>();
      const renamed = new Map<string, { last: RecordedEvent; count: number }>();
      for (const event of events) {
        if (event.type === 'SampleContactCreated') {
          if (!created.has(event.streamId)) created.set(event.streamId, event);
        } else if (event.type === 'SampleContactRenamed') {
          const seen = renamed.get(event.streamId);
          renamed.set(event.streamId, { last: event, count: (seen?.count ?? 0) + 1 });
        }
      }
      if (created.size > 0) {
        const rows = [...created.values()];
        await client.query(
          `INSERT INTO sample_contacts (id, email, name, last_position, updated_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[])
           ON CONFLICT (id) DO NOTHING`,
          [
            rows.map((e) => e.streamId),
            rows.map((e) => e.data.email),
            rows.map((e) => e.data.name ?? null),
            rows.map((e) => e.globalPosition.toString()),
            rows.map((e) => e.metadata.occurredAt),
          ],
        );
      }
      if (renamed.size > 0) {
        const rows = [...renamed.values()];
        await client.query(
          `UPDATE sample_contacts c
              SET name = r.name, renames = c.renames + r.count, last_position = r.last_position, updated_at = r.updated_at
             FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::timestamptz[])
                  AS r(id, name, count, last_position, updated_at)
            WHERE c.id = r.id`,
          [
            rows.map((r) => r.last.streamId),
            rows.map((r) => r.last.data.name),
            rows.map((r) => r.count),
            rows.map((r) => r.last.globalPosition.toString()),
            rows.map((r) => r.last.metadata.occurredAt),
          ],
        );
      }
    },
  };
}
