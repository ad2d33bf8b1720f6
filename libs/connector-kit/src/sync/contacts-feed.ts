// The contacts topic folded into the connector's working tables
// (sync_contacts, sync_tags, sync_activities; see connector-ddl.ts): what
// each contact looks like now, whether this CRM should have it, which
// activities wait for a note. Every change bumps the contact's version; the
// pusher sends whatever has a version above the one it pushed. Applied with
// applyOnceBatch: the event ids are recorded in the same transaction, so a
// redelivered batch changes nothing.
import { applyOnceBatch } from '@engagement/bus';
import type {
  ActivityRecordedData,
  ContactCreatedData,
  ContactEmailChangedData,
  ContactIdentityUpdatedData,
  ContactLeadScoreChangedData,
  ContactLifecycleStageChangedData,
  ContactPropertyRemovedData,
  ContactPropertySetData,
  ContactTagAddedData,
  ContactTagRemovedData,
  TagCrmMappingSetData,
  TagCreatedData,
} from '@engagement/contracts';
import type { RecordedEvent } from '@engagement/event-store';
import { quoteIdent } from '@engagement/projections';
import type { Pool, PoolClient } from 'pg';
import type { PersonalDataReader } from './personal-data-reader';

/** Data key look-ups in flight at once (the contacts service answers each). */
const DECRYPT_CONCURRENCY = 16;

export interface ContactsFeedOptions {
  pool: Pool;
  schema: string;
  provider: string;
  reader: PersonalDataReader;
  /** Called after a batch changed something to push (wakes the pusher). */
  onChange?(): void;
  /** Records that this connector removed an erased contact's personal data (an erasure receipt). */
  erasureApplied?(contactId: string): Promise<void>;
}

export class ContactsFeed {
  private readonly s: string;

  constructor(private readonly options: ContactsFeedOptions) {
    this.s = quoteIdent(options.schema);
  }

  /** For consumeEvents' handleBatch. */
  async handleBatch(events: RecordedEvent[]): Promise<void> {
    // Decrypt outside the transaction (it may call the contacts service for
    // data keys), several contacts at a time; the order is kept.
    const readable: Array<RecordedEvent & { erased?: boolean }> = new Array(events.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(DECRYPT_CONCURRENCY, events.length) }, async () => {
        while (next < events.length) {
          const i = next++;
          try {
            readable[i] = await this.options.reader.decrypt(events[i]);
          } catch (error) {
            if (!this.options.reader.isErased(error)) throw error;
            readable[i] = { ...events[i], erased: true };
          }
        }
      }),
    );
    const fresh = await applyOnceBatch(
      this.options.pool,
      { schema: this.options.schema, consumer: `connector-${this.options.provider}-contacts-feed` },
      readable,
      async (client, todo) => {
        for (const event of todo) await this.apply(client, event);
      },
    );
    for (const event of fresh) {
      if (event.type === 'ContactErased')
        await this.options.erasureApplied?.((event.data as { contactId: string }).contactId);
    }
    if (fresh.length > 0) this.options.onChange?.();
  }

  private async apply(
    client: PoolClient,
    event: RecordedEvent & { erased?: boolean },
  ): Promise<void> {
    const s = this.s;
    const d = event.data as Record<string, unknown>;
    const contactId = d.contactId as string | undefined;
    // A contact whose key is gone: only its erasure matters now.
    if (event.erased && event.type !== 'ContactErased') return;
    // When our change happened (the command's time), not when it reached this
    // connector: last-writer-wins compares it with the CRM's own change time, and
    // a connector lagging behind must not make an older change of ours look newer.
    const changedAt =
      typeof event.metadata?.occurredAt === 'string'
        ? event.metadata.occurredAt
        : new Date().toISOString();
    const bump = async (sets: string, values: unknown[]) => {
      await client.query(
        `UPDATE ${s}.sync_contacts SET ${sets}${sets ? ', ' : ''}version = version + 1,
           changed_at = GREATEST(changed_at, $${values.length + 2}::timestamptz)
          WHERE contact_id = $1 AND NOT erased`,
        [contactId, ...values, changedAt],
      );
    };
    switch (event.type) {
      case 'ContactCreated': {
        const c = d as unknown as ContactCreatedData;
        await client.query(
          `INSERT INTO ${s}.sync_contacts (contact_id, email, first_name, last_name, phone, lifecycle_stage, lead_score,
             sync_requested, version, changed_at)
           VALUES ($1,$2,$3,$4,$5,$6,0,$7,1,$8)
           ON CONFLICT (contact_id) DO UPDATE SET email = $2, first_name = $3, last_name = $4, phone = $5,
             lifecycle_stage = $6, sync_requested = ${s}.sync_contacts.sync_requested OR $7,
             version = ${s}.sync_contacts.version + 1, changed_at = GREATEST(${s}.sync_contacts.changed_at, $8)`,
          [
            c.contactId,
            c.email,
            c.firstName,
            c.lastName,
            c.phone,
            c.lifecycleStage,
            c.syncToCrms.includes(this.options.provider),
            changedAt,
          ],
        );
        return;
      }
      case 'ContactIdentityUpdated': {
        const c = d as unknown as ContactIdentityUpdatedData;
        const columns: Array<[string, unknown]> = [];
        if (c.firstName !== undefined) columns.push(['first_name', c.firstName]);
        if (c.lastName !== undefined) columns.push(['last_name', c.lastName]);
        if (c.phone !== undefined) columns.push(['phone', c.phone]);
        if (columns.length === 0) return;
        await bump(
          columns.map(([name], i) => `${name} = $${i + 2}`).join(', '),
          columns.map(([, v]) => v),
        );
        return;
      }
      case 'ContactEmailChanged':
        await bump('email = $2', [(d as unknown as ContactEmailChangedData).email]);
        return;
      case 'ContactPropertySet': {
        const p = d as unknown as ContactPropertySetData;
        await bump(`properties = properties || jsonb_build_object($2::text, $3::text)`, [
          p.name,
          p.value,
        ]);
        return;
      }
      case 'ContactPropertyRemoved':
        await bump(`properties = properties - $2::text`, [
          (d as unknown as ContactPropertyRemovedData).name,
        ]);
        return;
      case 'ContactTagAdded': {
        const t = d as unknown as ContactTagAddedData;
        await client.query(
          `INSERT INTO ${s}.sync_tags (tag_id, slug) VALUES ($1, $2) ON CONFLICT (tag_id) DO NOTHING`,
          [t.tagId, t.slug],
        );
        await bump(
          `tag_ids = CASE WHEN tag_ids ? $2::text THEN tag_ids ELSE tag_ids || to_jsonb($2::text) END`,
          [t.tagId],
        );
        return;
      }
      case 'ContactTagRemoved':
        await bump(`tag_ids = tag_ids - $2::text`, [(d as unknown as ContactTagRemovedData).tagId]);
        return;
      case 'ContactLifecycleStageChanged':
        await bump('lifecycle_stage = $2', [(d as unknown as ContactLifecycleStageChangedData).to]);
        return;
      case 'ContactLeadScoreChanged':
        await bump('lead_score = $2', [(d as unknown as ContactLeadScoreChangedData).to]);
        return;
      case 'ActivityRecorded': {
        const a = d as unknown as ActivityRecordedData;
        if (!a.syncToCrms.includes(this.options.provider)) return;
        await client.query(
          `INSERT INTO ${s}.sync_activities (activity_id, contact_id, activity_type, activity_data, occurred_at)
           VALUES ($1,$2,$3,$4,$5) ON CONFLICT (activity_id) DO NOTHING`,
          [a.activityId, a.contactId, a.activityType, JSON.stringify(a.activityData), a.occurredAt],
        );
        // A note needs the contact in the CRM: asking for the note asks for the contact.
        await client.query(
          `UPDATE ${s}.sync_contacts SET sync_requested = true,
             version = CASE WHEN sync_requested THEN version ELSE version + 1 END,
             changed_at = GREATEST(changed_at, $2::timestamptz)
           WHERE contact_id = $1 AND NOT erased`,
          [a.contactId, changedAt],
        );
        return;
      }
      case 'ContactErased':
        // Personal data goes now; the email stays until the CRM delete is done
        // (the pusher deletes by the CRM id, or by email if the id never came back).
        await client.query(
          `UPDATE ${s}.sync_contacts SET erased = true, first_name = NULL, last_name = NULL, phone = NULL,
             properties = '{}'::jsonb, version = version + 1, changed_at = now(), dead = false, attempts = 0
           WHERE contact_id = $1`,
          [contactId],
        );
        await client.query(`DELETE FROM ${s}.sync_activities WHERE contact_id = $1`, [contactId]);
        // The inbound side's copies (inbound/): what the CRM has, and the webhook payloads
        // still held: changes not applied yet are skipped, and those that failed for good
        // lose their values too (an applied change kept none).
        await client.query(`DELETE FROM ${s}.crm_field_state WHERE contact_id = $1`, [contactId]);
        await client.query(
          `UPDATE ${s}.inbound_changes SET change = NULL,
             status = CASE WHEN status = 'pending' THEN 'skipped' ELSE status END,
             last_error = CASE WHEN status = 'pending' THEN 'the contact was erased' ELSE last_error END
            WHERE change IS NOT NULL
              AND external_id = (SELECT external_id FROM ${s}.sync_contacts WHERE contact_id = $1)`,
          [contactId],
        );
        return;
      case 'TagCreated': {
        const t = d as unknown as TagCreatedData;
        await client.query(
          `INSERT INTO ${s}.sync_tags (tag_id, slug) VALUES ($1, $2) ON CONFLICT (tag_id) DO UPDATE SET slug = $2`,
          [t.tagId, t.slug],
        );
        return;
      }
      case 'TagUpdated':
        if (typeof d.slug === 'string')
          await client.query(`UPDATE ${s}.sync_tags SET slug = $2 WHERE tag_id = $1`, [
            d.tagId,
            d.slug,
          ]);
        return;
      case 'TagCrmMappingSet': {
        const m = d as unknown as TagCrmMappingSetData;
        if (m.provider !== this.options.provider) return;
        await client.query(
          `INSERT INTO ${s}.sync_tags (tag_id, slug, mapping_type, external_id) VALUES ($1, '', $2, $3)
           ON CONFLICT (tag_id) DO UPDATE SET mapping_type = $2, external_id = $3`,
          [m.tagId, m.mappingType, m.externalId],
        );
        // Contacts that already have the tag get it in the CRM now.
        await client.query(
          `UPDATE ${s}.sync_contacts SET version = version + 1, changed_at = now() WHERE tag_ids ? $1::text AND NOT erased`,
          [m.tagId],
        );
        return;
      }
      case 'TagCrmMappingRemoved':
        if (d.provider === this.options.provider)
          await client.query(
            `UPDATE ${s}.sync_tags SET mapping_type = NULL, external_id = NULL WHERE tag_id = $1`,
            [d.tagId],
          );
        return;
      default:
        return; // consent, status, deletes, external mappings: nothing a CRM push needs today
    }
  }
}
