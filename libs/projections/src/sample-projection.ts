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
    async apply(events: RecordedEvent[], client: PoolClient) {
      for (const event of events) {
        if (event.type === 'SampleContactCreated') {
          await client.query(
            `INSERT INTO sample_contacts (id, email, name, last_position, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO NOTHING`,
            [
              event.streamId,
              event.data.email,
              event.data.name ?? null,
              event.globalPosition.toString(),
              event.metadata.occurredAt,
            ],
          );
        } else if (event.type === 'SampleContactRenamed') {
          await client.query(
            `UPDATE sample_contacts SET name = $2, renames = renames + 1, last_position = $3, updated_at = $4 WHERE id = $1`,
            [
              event.streamId,
              event.data.name,
              event.globalPosition.toString(),
              event.metadata.occurredAt,
            ],
          );
        }
      }
    },
  };
}
