// Messaging's own replica of contacts, from topic `contacts`: status,
// consent per channel, time zone, locale, lifecycle stage, tags and
// properties (audiences and send rules), and the personal fields a send
// needs (email, phone, names) kept exactly as the contacts service
// encrypted them: they are decrypted only at send time
// (recipient-directory.ts), and removed on ContactErased.
import { isContactEventType, upcastContactEvent, type ContactEvent } from '@engagement/contracts';
import type { RecordedEvent } from '@engagement/event-store';
import type { ProjectionDefinition } from '@engagement/projections';
import type { PoolClient } from 'pg';
import { contactsReplicaSql } from '../migrations/messaging-read-model.ddl';

export const CONTACTS_REPLICA = 'messaging-contacts-replica';

export function contactsReplicaProjection(schema: string): ProjectionDefinition {
  return {
    name: CONTACTS_REPLICA,
    schema,
    tables: [{ name: 'contact_replica', primaryKey: ['contact_id'] }],
    source: 'kafka',
    filter: { streamPrefixes: ['contact-'] },
    async migrate(client, target) {
      for (const sql of contactsReplicaSql(target)) await client.query(sql);
    },
    async apply(events, client) {
      for (const recorded of events) {
        if (!recorded.streamId.startsWith('contact-') || !isContactEventType(recorded.type))
          continue;
        await applyContactEvent(client, upcastContactEvent(recorded), recorded);
      }
    },
  };
}

async function applyContactEvent(
  client: PoolClient,
  event: ContactEvent,
  recorded: RecordedEvent,
): Promise<void> {
  const at = recorded.metadata.occurredAt;
  const id = event.data.contactId;
  const update = (sets: string, params: unknown[]) =>
    client.query(`UPDATE contact_replica SET ${sets}, updated_at = $2 WHERE contact_id = $1`, [
      id,
      at,
      ...params,
    ]);
  switch (event.type) {
    case 'ContactCreated': {
      const d = event.data;
      await client.query(
        `INSERT INTO contact_replica (contact_id, timezone, locale, lifecycle_stage, email, phone, first_name, last_name, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (contact_id) DO NOTHING`,
        [id, d.timezone, d.locale, d.lifecycleStage, d.email, d.phone, d.firstName, d.lastName, at],
      );
      return;
    }
    case 'ContactIdentityUpdated': {
      const d = event.data;
      const sets: string[] = [];
      const params: unknown[] = [];
      for (const [field, column] of [
        ['firstName', 'first_name'],
        ['lastName', 'last_name'],
        ['phone', 'phone'],
        ['timezone', 'timezone'],
        ['locale', 'locale'],
      ] as const) {
        if (d[field] !== undefined) {
          params.push(d[field]);
          sets.push(`${column} = $${params.length + 2}`);
        }
      }
      if (sets.length > 0) await update(sets.join(', '), params);
      return;
    }
    case 'ContactEmailChanged':
      await update('email = $3', [event.data.email]);
      return;
    case 'ContactPropertySet':
      await update(`properties = properties || jsonb_build_object($3::text, $4::text)`, [
        event.data.name,
        event.data.value,
      ]);
      return;
    case 'ContactPropertyRemoved':
      await update(`properties = properties - $3::text`, [event.data.name]);
      return;
    case 'ContactTagAdded':
      await update(`tags = CASE WHEN $3 = ANY(tags) THEN tags ELSE array_append(tags, $3) END`, [
        event.data.slug,
      ]);
      return;
    case 'ContactTagRemoved':
      await update(`tags = array_remove(tags, $3)`, [event.data.slug]);
      return;
    case 'ContactConsentGranted':
    case 'ContactConsentRevoked':
      await update(`consent = consent || jsonb_build_object($3::text, $4::boolean)`, [
        event.data.channel,
        event.type === 'ContactConsentGranted',
      ]);
      return;
    case 'ContactLifecycleStageChanged':
      await update('lifecycle_stage = $3', [event.data.to]);
      return;
    case 'ContactStatusChanged':
      await update('status = $3', [event.data.to]);
      return;
    case 'ContactDeleted':
      await update(`status = 'deleted'`, []);
      return;
    case 'ContactErased':
      // Crypto-shredded at the source; here the envelopes go too, and no message goes out again.
      await update(
        `email = NULL, phone = NULL, first_name = NULL, last_name = NULL, properties = '{}'::jsonb, erased_at = $3`,
        [event.data.erasedAt],
      );
      return;
    default:
      return;
  }
}
