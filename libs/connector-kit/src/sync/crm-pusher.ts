// The push loop of a connector: takes what the contacts feed marked as
// changed (sync_contacts rows whose version is above the pushed one,
// erasures, activities waiting for a note) and pushes it through the
// provider adapter, in batches the provider accepts, at the pace its budget
// allows. Each outcome is appended as an event on the contact's sync stream
// (`crm-<provider>-<contactId>`), which feeds crm_sync_logs and, relayed on
// `crm.<provider>`, the contacts service (external mappings, synced_to_crms).
//
// Nothing is lost and nothing doubles: a row is marked pushed only after its
// outcome event was appended; a crash before that pushes it again (the CRM
// upsert is keyed on email or on the CRM id, so no second record) and
// appends the same outcome again under the same event id (derived from
// contact, version and outcome), which the event store ignores.
import { createHash } from 'node:crypto';
import { crmSyncStreamId, CRM_SYNC_EVENT_SCHEMA_VERSIONS, type CrmSyncEvent } from '@engagement/contracts';
import { DuplicateEventIdError, type EventStore } from '@engagement/event-store';
import { quoteIdent } from '@engagement/projections';
import type { Pool } from 'pg';
import { mapContactFields, type ContactSnapshot, type FieldMappings } from '../mapping/field-mapping';
import { describeFailure } from '../retry/retry-policy';
import type { ContactPush, ContactPushResult, CrmAdapter, CrmTag, Call } from './crm-adapter';
import { CrmCallError, type CrmCaller } from './crm-caller';
import { RoundLoop } from '../runtime/round-loop';

export interface PusherLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface CrmPusherOptions {
  pool: Pool;
  schema: string;
  store: EventStore;
  adapter: CrmAdapter;
  caller: CrmCaller;
  log: PusherLog;
  /** Produces a dead letter (topic `crm.<provider>.dlq`); the reason travels with it. */
  deadLetter(letter: { entityType: string; entityId: string; reason: string }): Promise<void>;
  /** Records that the contact was deleted in the CRM after its erasure here (an erasure receipt). */
  erasureApplied?(contactId: string, detail: string): Promise<void>;
  /**
   * What the CRM already has per field (inbound/crm-field-state.ts): a contact
   * it has exactly as we would send it is not pushed (a change that came from
   * that CRM goes no further), and what a push sent is remembered (its echo is
   * recognised).
   */
  fieldState?: {
    alreadyInCrm(items: ContactPush[]): Promise<Set<string>>;
    pushed(contactId: string, fields: Record<string, string>, at: string, tagNames?: string[]): Promise<void>;
  };
  /** Rows per round; default 500. */
  roundSize?: number;
  /** Batches in flight at once; default 4. */
  concurrency?: number;
  /** A contact changed less than this ago waits, so that its creation and its tags go in one push; default 150 ms. */
  settleMs?: number;
  idleMs?: number;
}

interface IntegrationRow {
  id: string;
  status: string;
  config: Record<string, unknown>;
  field_mappings: FieldMappings;
}

interface ContactRow {
  contact_id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  lifecycle_stage: string | null;
  lead_score: number | null;
  properties: Record<string, string>;
  tag_ids: string[];
  pushed_tag_ids: string[];
  external_id: string | null;
  pushed_email: string | null;
  version: string;
}

/** A stable UUID (v5 layout) from a name: the same outcome gets the same event id. */
export function outcomeEventId(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

async function inBatches<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/**
 * The tags the CRM now has: the current ones, less those it had no mapping
 * for (they count as not pushed, so a mapping set later pushes them).
 */
function appliedTagIds(item: ContactPush, skippedSlugs: string[]): string[] {
  const skipped = new Set(skippedSlugs);
  return item.tags.current.filter((t) => !skipped.has(t.slug)).map((t) => t.tagId);
}

export class CrmPusher {
  private readonly s: string;
  private readonly provider: string;
  private readonly rounds: RoundLoop;

  constructor(private readonly options: CrmPusherOptions) {
    this.s = quoteIdent(options.schema);
    this.provider = options.adapter.facts.key;
    this.rounds = new RoundLoop({
      round: () => this.round(),
      idleMs: options.idleMs ?? 500,
      onError: (error) => options.log.warn('push round failed; trying again', { error: error.message }),
    });
  }

  start(): void {
    this.rounds.start();
  }

  wake(): void {
    this.rounds.wake();
  }

  stop(): Promise<void> {
    return this.rounds.stop();
  }

  /** One round of every kind of work; resolves with how many items it handled. */
  async round(): Promise<number> {
    // Erased contacts no CRM ever had: forgotten at once, integration or not.
    const forgotten = await this.options.pool.query<{ contact_id: string }>(
      `DELETE FROM ${this.s}.sync_contacts WHERE erased AND external_id IS NULL AND NOT sync_requested RETURNING contact_id`,
    );
    for (const { contact_id } of forgotten.rows) {
      await this.options.erasureApplied?.(contact_id, `never pushed to ${this.options.adapter.facts.displayName}: nothing to delete there`);
    }
    const integration = await this.integration();
    if (!integration || integration.status !== 'active') return forgotten.rowCount ?? 0;
    return (await this.pushErasures(integration)) + (await this.pushContacts(integration)) + (await this.pushNotes(integration));
  }

  private call: Call = (work) => this.options.caller.call(work);

  private async integration(): Promise<IntegrationRow | null> {
    const { rows } = await this.options.pool.query<IntegrationRow>(
      `SELECT id, status, config, field_mappings FROM ${this.s}.integrations WHERE provider = $1`,
      [this.provider],
    );
    return rows[0] ?? null;
  }

  // ------------------------------------------------------------------ contacts

  private async pushContacts(integration: IntegrationRow): Promise<number> {
    const syncAll = integration.config?.sync_all_contacts === true;
    let { rows } = await this.options.pool.query<ContactRow>(
      `SELECT contact_id, email, first_name, last_name, phone, lifecycle_stage, lead_score, properties, tag_ids,
              pushed_tag_ids, external_id, pushed_email, version
         FROM ${this.s}.sync_contacts
        WHERE version > pushed_version AND NOT dead AND NOT erased AND next_attempt_at <= now()
          AND changed_at < now() - make_interval(secs => $2::float8 / 1000)
          AND (sync_requested OR external_id IS NOT NULL OR $1::boolean)
        ORDER BY changed_at LIMIT $3`,
      [syncAll, this.options.settleMs ?? 150, this.options.roundSize ?? 500],
    );
    if (rows.length === 0) return 0;
    const tags = await this.tags(rows.flatMap((r) => [...r.tag_ids, ...r.pushed_tag_ids]));
    const all = rows.map((row) => this.toPush(row, integration, tags));
    const inCrm = (await this.options.fieldState?.alreadyInCrm(all)) ?? new Set<string>();
    for (const row of rows.filter((r) => inCrm.has(r.contact_id))) {
      await this.options.pool.query(
        `UPDATE ${this.s}.sync_contacts SET pushed_version = GREATEST(pushed_version, $2::bigint), pushed_tag_ids = $3 WHERE contact_id = $1`,
        [row.contact_id, row.version, JSON.stringify(row.tag_ids)],
      );
    }
    rows = rows.filter((r) => !inCrm.has(r.contact_id));
    const items = all.filter((i) => !inCrm.has(i.contactId));
    if (rows.length === 0) return inCrm.size;
    const size = this.options.adapter.facts.maxBatchSize;
    const chunks: Array<{ rows: ContactRow[]; items: ContactPush[] }> = [];
    for (let i = 0; i < rows.length; i += size) chunks.push({ rows: rows.slice(i, i + size), items: items.slice(i, i + size) });
    await inBatches(chunks, this.options.concurrency ?? 4, (chunk) => this.pushChunk(integration, chunk.rows, chunk.items));
    return rows.length + inCrm.size;
  }

  private async tags(ids: string[]): Promise<Map<string, CrmTag>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.options.pool.query<{ tag_id: string; slug: string; mapping_type: string | null; external_id: string | null }>(
      `SELECT tag_id, slug, mapping_type, external_id FROM ${this.s}.sync_tags WHERE tag_id = ANY($1::uuid[])`,
      [[...new Set(ids)]],
    );
    return new Map(rows.map((r) => [r.tag_id, { tagId: r.tag_id, slug: r.slug, mappingType: r.mapping_type, externalId: r.external_id }]));
  }

  private toPush(row: ContactRow, integration: IntegrationRow, tags: Map<string, CrmTag>): ContactPush {
    const snapshot: ContactSnapshot = {
      email: row.email,
      firstName: row.first_name,
      lastName: row.last_name,
      phone: row.phone,
      lifecycleStage: row.lifecycle_stage,
      leadScore: row.lead_score,
      properties: row.properties ?? {},
    };
    const mapped = mapContactFields({
      provider: this.provider,
      contact: snapshot,
      integrationMappings: integration.field_mappings ?? {},
      // Properties' crm_field_mappings: the contacts topic carries no event for them yet.
      propertyMappings: {},
      providerDefaults: this.options.adapter.defaultFieldMappings,
      lifecycleStages: this.options.adapter.lifecycleStages,
    });
    if (mapped.skipped.length > 0) {
      this.options.log.info('fields without a CRM field were skipped', { contactId: row.contact_id, skipped: mapped.skipped });
    }
    const tag = (id: string): CrmTag => tags.get(id) ?? { tagId: id, slug: id, mappingType: null, externalId: null };
    const pushed = new Set(row.pushed_tag_ids);
    const current = new Set(row.tag_ids);
    return {
      contactId: row.contact_id,
      externalId: row.external_id,
      emailChanged: row.external_id !== null && row.pushed_email !== null && row.pushed_email !== row.email,
      fields: mapped.fields,
      snapshot,
      tags: {
        current: row.tag_ids.map(tag),
        added: row.tag_ids.filter((id) => !pushed.has(id)).map(tag),
        removed: row.pushed_tag_ids.filter((id) => !current.has(id)).map(tag),
      },
      skippedFields: mapped.skipped,
    };
  }

  private async pushChunk(integration: IntegrationRow, rows: ContactRow[], items: ContactPush[]): Promise<void> {
    const started = Date.now();
    let results: ContactPushResult[];
    try {
      results = await this.options.adapter.pushContacts(this.call, items, integration.config ?? {});
    } catch (error) {
      if (!(error instanceof CrmCallError)) throw error;
      if (error.action === 'fail' && items.length > 1) {
        // The batch was refused as a whole: one at a time finds the item at fault.
        for (let i = 0; i < items.length; i++) await this.pushChunk(integration, [rows[i]], [items[i]]);
        return;
      }
      results = items.map((item) => ({
        contactId: item.contactId,
        ok: false as const,
        failure: error.failure,
        errorCode: error.action === 'dead-letter' ? 'dead_lettered' : 'refused',
        errorMessage: error.message,
      }));
      if (error.action === 'dead-letter') {
        for (const item of items) await this.options.deadLetter({ entityType: 'contact', entityId: item.contactId, reason: error.message });
      }
    }
    const durationMs = Date.now() - started;
    const byId = new Map(results.map((r) => [r.contactId, r]));
    await inBatches(rows, 8, async (row) => {
      const item = items.find((i) => i.contactId === row.contact_id)!;
      const result = byId.get(row.contact_id);
      if (result) await this.recordContact(integration, row, item, result, durationMs);
    });
  }

  private async recordContact(
    integration: IntegrationRow,
    row: ContactRow,
    item: ContactPush,
    result: ContactPushResult,
    durationMs: number,
  ): Promise<void> {
    const syncedAt = new Date().toISOString();
    const base = { provider: this.provider, integrationId: integration.id, contactId: row.contact_id, syncedAt, durationMs };
    const skipped = item.skippedFields;
    const events: CrmSyncEvent[] = [];
    if (result.ok) {
      events.push({
        type: 'CrmContactSynced',
        data: {
          ...base,
          syncType: result.created ? 'contact_create' : 'contact_update',
          externalId: result.externalId,
          created: result.created,
          skippedFields: skipped,
          payload: { idProperty: row.external_id ? 'id' : 'email', fields: Object.keys(item.fields).sort() },
          response: result.response,
        },
      });
      const t = result.tags;
      if (t.added.length + t.removed.length + t.skipped.length > 0 && (item.tags.added.length + item.tags.removed.length > 0)) {
        events.push({
          type: 'CrmTagsSynced',
          data: { ...base, syncType: 'tag_sync', externalId: result.externalId, ...t, payload: { added: t.added, removed: t.removed }, response: null },
        });
      }
    } else {
      const dead = result.errorCode === 'dead_lettered';
      events.push({
        type: 'CrmSyncFailed',
        data: {
          ...base,
          syncType: row.external_id ? 'contact_update' : 'contact_create',
          entityType: 'contact',
          entityId: row.contact_id,
          externalId: row.external_id,
          errorCode: result.errorCode,
          errorMessage: describeFailure(result.failure),
          errorDetails: result.failure.kind === 'http' ? { status: result.failure.status } : { kind: result.failure.kind },
          deadLettered: dead,
          payload: { fields: Object.keys(item.fields).sort() },
          response: null,
        },
      });
    }
    await this.append(row.contact_id, `contact:${row.version}`, events);
    if (result.ok) {
      const applied = item.tags.current.filter((t) => !result.tags.skipped.includes(t.slug));
      const name = (t: CrmTag) => (t.mappingType === 'tag' && t.externalId ? t.externalId : t.slug);
      await this.options.fieldState?.pushed(row.contact_id, item.fields, syncedAt, applied.map(name));
    }
    if (result.ok) {
      await this.options.pool.query(
        `UPDATE ${this.s}.sync_contacts SET pushed_version = GREATEST(pushed_version, $2::bigint), external_id = $3,
           pushed_tag_ids = $4, pushed_email = $5, attempts = 0, last_error = NULL WHERE contact_id = $1`,
        [row.contact_id, row.version, result.externalId, JSON.stringify(appliedTagIds(item, result.tags.skipped)), row.email],
      );
    } else {
      // Refused or dead-lettered: not retried until the contact changes again (or an operator revives it).
      await this.options.pool.query(
        `UPDATE ${this.s}.sync_contacts SET pushed_version = GREATEST(pushed_version, $2::bigint), dead = $3, last_error = $4
          WHERE contact_id = $1`,
        [row.contact_id, row.version, result.errorCode === 'dead_lettered', result.errorMessage],
      );
    }
  }

  private async append(contactId: string, outcome: string, events: CrmSyncEvent[]): Promise<void> {
    if (events.length === 0) return;
    const stream = crmSyncStreamId(this.provider, contactId);
    const toNew = (event: CrmSyncEvent) => ({
        id: outcomeEventId(`${this.provider}:${contactId}:${outcome}:${event.type}`),
        type: event.type,
        schemaVersion: CRM_SYNC_EVENT_SCHEMA_VERSIONS[event.type],
        data: event.data,
        metadata: {
          correlationId: outcomeEventId(`${this.provider}:${contactId}:${outcome}`),
          causationId: null,
          traceparent: null,
          actor: `connector-${this.provider}`,
          occurredAt: (event.data as { syncedAt: string }).syncedAt,
        },
      });
    try {
      await this.options.store.appendToStream(stream, events.map(toNew), { expectedRevision: 'any' });
    } catch (error) {
      if (!(error instanceof DuplicateEventIdError)) throw error;
      // A retry after a crash recorded part of these outcomes already: the rest one by one.
      for (const event of events) {
        await this.options.store
          .appendToStream(stream, [toNew(event)], { expectedRevision: 'any' })
          .catch((e: unknown) => {
            if (!(e instanceof DuplicateEventIdError)) throw e;
          });
      }
    }
  }

  // ------------------------------------------------------------------ erasures

  private async pushErasures(integration: IntegrationRow): Promise<number> {
    const { rows } = await this.options.pool.query<{ contact_id: string; external_id: string | null; email: string | null; sync_requested: boolean; version: string }>(
      `SELECT contact_id, external_id, email, sync_requested, version FROM ${this.s}.sync_contacts
        WHERE erased AND NOT dead AND next_attempt_at <= now() ORDER BY changed_at LIMIT 50`,
    );
    for (const row of rows) {
      const inCrm = row.external_id !== null || row.sync_requested;
      if (inCrm) {
        const started = Date.now();
        try {
          await this.options.adapter.deleteContact(this.call, { externalId: row.external_id, email: row.email }, integration.config ?? {});
        } catch (error) {
          if (!(error instanceof CrmCallError)) throw error;
          if (!(error.failure.kind === 'http' && error.failure.status === 404)) {
            await this.options.pool.query(`UPDATE ${this.s}.sync_contacts SET dead = true, last_error = $2 WHERE contact_id = $1`, [
              row.contact_id,
              error.message,
            ]);
            await this.options.deadLetter({ entityType: 'contact', entityId: row.contact_id, reason: `erasure: ${error.message}` });
            continue;
          }
        }
        await this.append(row.contact_id, 'erased', [
          {
            type: 'CrmContactDeleted',
            data: {
              provider: this.provider,
              integrationId: integration.id,
              contactId: row.contact_id,
              syncType: 'contact_delete',
              syncedAt: new Date().toISOString(),
              durationMs: Date.now() - started,
              externalId: row.external_id ?? '',
              payload: null,
              response: null,
            },
          },
        ]);
      }
      await this.options.erasureApplied?.(
        row.contact_id,
        inCrm ? `deleted in ${this.options.adapter.facts.displayName} (GDPR delete)` : `never pushed to ${this.options.adapter.facts.displayName}: nothing to delete there`,
      );
      // Nothing personal stays: the row goes once the CRM has forgotten the contact too.
      await this.options.pool.query(`DELETE FROM ${this.s}.sync_contacts WHERE contact_id = $1`, [row.contact_id]);
    }
    return rows.length;
  }

  // ------------------------------------------------------------------ notes

  private async pushNotes(integration: IntegrationRow): Promise<number> {
    const { rows } = await this.options.pool.query<{
      activity_id: string;
      contact_id: string;
      activity_type: string;
      activity_data: Record<string, unknown>;
      occurred_at: Date;
      contact_external_id: string;
    }>(
      `SELECT a.activity_id, a.contact_id, a.activity_type, a.activity_data, a.occurred_at, c.external_id AS contact_external_id
         FROM ${this.s}.sync_activities a JOIN ${this.s}.sync_contacts c USING (contact_id)
        WHERE NOT a.pushed AND NOT a.dead AND a.next_attempt_at <= now() AND c.external_id IS NOT NULL AND NOT c.erased
        ORDER BY a.occurred_at LIMIT 50`,
    );
    await inBatches(rows, this.options.concurrency ?? 4, async (row) => {
      const started = Date.now();
      const base = { provider: this.provider, integrationId: integration.id, contactId: row.contact_id, syncType: 'activity_create' as const };
      const payload = { contactId: row.contact_id, activityType: row.activity_type };
      try {
        const noteId = await this.options.adapter.pushNote(
          this.call,
          {
            activityId: row.activity_id,
            contactId: row.contact_id,
            contactExternalId: row.contact_external_id,
            activityType: row.activity_type,
            activityData: row.activity_data,
            occurredAt: row.occurred_at.toISOString(),
          },
          integration.config ?? {},
        );
        await this.append(row.contact_id, `activity:${row.activity_id}`, [
          {
            type: 'CrmActivitySynced',
            data: { ...base, activityId: row.activity_id, externalId: noteId, syncedAt: new Date().toISOString(), durationMs: Date.now() - started, payload, response: { id: noteId } },
          },
        ]);
        await this.options.pool.query(`UPDATE ${this.s}.sync_activities SET pushed = true, external_id = $2 WHERE activity_id = $1`, [row.activity_id, noteId]);
      } catch (error) {
        if (!(error instanceof CrmCallError)) throw error;
        const dead = error.action === 'dead-letter';
        await this.append(row.contact_id, `activity:${row.activity_id}:failed`, [
          {
            type: 'CrmSyncFailed',
            data: {
              ...base,
              entityType: 'activity',
              entityId: row.activity_id,
              externalId: null,
              errorCode: dead ? 'dead_lettered' : 'refused',
              errorMessage: error.message,
              errorDetails: null,
              deadLettered: dead,
              syncedAt: new Date().toISOString(),
              durationMs: Date.now() - started,
              payload,
              response: null,
            },
          },
        ]);
        if (dead) await this.options.deadLetter({ entityType: 'activity', entityId: row.activity_id, reason: error.message });
        await this.options.pool.query(`UPDATE ${this.s}.sync_activities SET dead = true, last_error = $2 WHERE activity_id = $1`, [row.activity_id, error.message]);
      }
    });
    return rows.length;
  }
}
