// Test support for the read model's integration tests: a PostgreSQL event
// store in its own random schema, the projection in its own random schema,
// commands decided by the real deciders with a clock the test controls, and
// a close() that drops every schema the test made. Tests never share state,
// so they can run in parallel.
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import { schemaVersionOf, upcastContactEvent, upcastTagEvent } from '@engagement/contracts';
import { handleCommand, type CommandContext } from '@engagement/decider';
import { PostgresEventStore } from '@engagement/event-store';
import {
  type ProjectionDefinition,
  prepareProjection,
  applyStoreBatch,
} from '@engagement/projections';
import { batchDecider, contactDecider, tagDecider } from '../domain';
import type { ContactCommand, TagCommand } from '../domain';
import { createContactsReadModelProjection } from './contacts-read-model.projection';

export const shortId = () => randomUUID().replace(/-/g, '').slice(0, 10);

export interface TestBed {
  store: PostgresEventStore;
  pool: Pool;
  projection: ProjectionDefinition;
  /** The projection's live schema. */
  schema: string;
  /** Decides commands on one contact's stream (all or nothing); returns the position reached. */
  contact(...commands: ContactCommand[]): Promise<bigint | null>;
  tag(...commands: TagCommand[]): Promise<bigint | null>;
  /** A context whose clock moves one minute per command, from 2026-01-01T00:00:00Z. */
  context(): CommandContext;
  /** Applies every event of the store not applied yet into `schema` in batches of `batchSize`. */
  catchUp(schema?: string, batchSize?: number): Promise<void>;
  /** A fresh schema name, dropped by close(). */
  newSchema(prefix: string): string;
  close(): Promise<void>;
}

export async function createTestBed(): Promise<TestBed> {
  const { databaseUrl } = loadPlatformConfig();
  const schemas: string[] = [];
  const newSchema = (prefix: string) => {
    const schema = `${prefix}_${shortId()}`;
    schemas.push(schema, `${schema}_rebuild`, `${schema}_audit`);
    return schema;
  };
  const eventStoreSchema = newSchema('es_contacts');
  const schema = newSchema('contacts_rm');
  const store = await PostgresEventStore.connect({
    connectionString: databaseUrl,
    schema: eventStoreSchema,
    pollIntervalMs: 50,
  });
  const pool = new Pool({ connectionString: databaseUrl, max: 6 });
  const projection = createContactsReadModelProjection({ schema, decrypt: async (e) => e });

  let minutes = 0;
  const context = (): CommandContext => ({
    now: new Date(Date.UTC(2026, 0, 1) + minutes++ * 60_000),
    actor: 'test',
    correlationId: randomUUID(),
    causationId: null,
    traceparent: null,
  });
  const options = { upcast: upcastContactEvent, schemaVersionOf, conflictRetries: 0 };

  const prepared = new Set<string>();
  return {
    store,
    pool,
    projection,
    schema,
    context,
    newSchema,
    async contact(...commands) {
      const contactId = commands[0].contactId;
      const result = await handleCommand(
        store,
        `contact-${contactId}`,
        batchDecider(contactDecider),
        commands,
        context(),
        options,
      );
      return result.position;
    },
    async tag(...commands) {
      const result = await handleCommand(
        store,
        `tag-${commands[0].tagId}`,
        batchDecider(tagDecider),
        commands,
        context(),
        { upcast: upcastTagEvent, schemaVersionOf, conflictRetries: 0 },
      );
      return result.position;
    },
    async catchUp(target = schema, batchSize = 5_000) {
      if (!prepared.has(target)) {
        await prepareProjection(pool, projection, target);
        prepared.add(target);
      }
      const { rows } = await pool.query<{ position: string }>(
        `SELECT position FROM ${target}.projection_checkpoints WHERE projection = $1`,
        [projection.name],
      );
      let checkpoint = rows.length === 0 ? -1n : BigInt(rows[0].position);
      for (;;) {
        const page = await store.readAll({
          after: checkpoint,
          maxCount: batchSize,
          filter: projection.filter,
        });
        if (page.events.length === 0 && page.checkpoint === checkpoint) return;
        await applyStoreBatch(
          pool,
          { projection, schema: target },
          page.events,
          checkpoint,
          page.checkpoint,
        );
        checkpoint = page.checkpoint;
        if (page.isEnd && page.events.length < batchSize) return;
      }
    },
    async close() {
      await store.close();
      for (const s of schemas) {
        await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
        // What a swap archived.
        const archives = await pool.query<{ nspname: string }>(
          `SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`,
          [`${s}\\_archive\\_%`],
        );
        for (const { nspname } of archives.rows)
          await pool.query(`DROP SCHEMA "${nspname}" CASCADE`);
      }
      await pool.end();
    },
  };
}
