// Applying the queued inbound changes (inbound_changes, from webhooks and
// resyncs) to our contacts, one at a time in arrival order: find the
// contact by its CRM id (or read the CRM record when the change does not
// carry what a new contact needs), plan field by field (inbound-plan.ts:
// echoes and redeliveries do nothing, conflicts go by the policy), call the
// contacts service's commands (contacts-writer.ts), remember what the CRM
// now has (crm_field_state), and record the outcome (CrmInboundApplied on
// the change's stream → a crm_sync_logs row; skipped fields with their
// reasons). A contacts call that fails for a transient reason is retried
// later; one the contacts service refuses is recorded as failed.
//
// One applier at a time per connector (an advisory lock), however many
// replicas run.
import type { EventStore } from '@engagement/event-store';
import { quoteIdent } from '@engagement/projections';
import type { Pool } from 'pg';
import { mapContactFields, type FieldMappings } from '../mapping/field-mapping';
import type { Call, CrmAdapter } from '../sync/crm-adapter';
import { outcomeEventId } from '../sync/crm-pusher';
import { ContactsCallError, type ContactsWriter } from './contacts-writer';
import { TAGS_FIELD, tagSetValue } from './crm-field-state';
import type { CrmRecord, InboundAdapter, InboundChange } from './inbound-adapter';
import { conflictPolicyOf, normalised, planInbound, type KnownValue } from './inbound-plan';
import { INBOUND_EVENT_SCHEMA_VERSIONS, inboundStreamPrefix, type CrmInboundOutcomeData } from './inbound.events';
import { ourFieldOf, reverseFieldMap, toContactChanges } from './reverse-mapping';
import type { ReceiverLog } from './webhook-receiver';
import { RoundLoop } from '../runtime/round-loop';

export interface InboundApplierOptions {
  pool: Pool;
  schema: string;
  store: EventStore;
  crm: CrmAdapter;
  inbound: InboundAdapter;
  call: Call;
  writer: ContactsWriter;
  log: ReceiverLog;
  idleMs?: number;
}

export interface IntegrationRow {
  id: string;
  status: string;
  config: Record<string, unknown>;
  field_mappings: FieldMappings;
}

interface SyncContact {
  contact_id: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  lifecycle_stage: string | null;
  lead_score: number | null;
  properties: Record<string, string>;
  tag_ids: string[];
  changed_at: Date;
  version: string;
  pushed_version: string;
}

export type InboundResult = 'created' | 'updated' | 'unchanged' | 'conflict' | 'unlinked' | 'deleted' | 'skipped' | 'failed';

const DELETE_POLICIES = ['ignore', 'unlink', 'soft_delete'] as const;

export class InboundApplier {
  private readonly s: string;
  private readonly provider: string;
  private readonly rounds: RoundLoop;
  private lastErasureSweep = 0;

  constructor(private readonly o: InboundApplierOptions) {
    this.s = quoteIdent(o.schema);
    this.provider = o.crm.facts.key;
    this.rounds = new RoundLoop({
      round: () => this.round(),
      idleMs: o.idleMs ?? 500,
      onError: (error) => o.log.warn('inbound round failed; trying again', { error: error.message }),
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

  async integration(): Promise<IntegrationRow | null> {
    const { rows } = await this.o.pool.query<IntegrationRow>(
      `SELECT id, status, config, field_mappings FROM ${this.s}.integrations WHERE provider = $1`,
      [this.provider],
    );
    return rows[0] ?? null;
  }

  /** The CRM fields that mean something here (what a read of a record asks for). */
  crmFields(integration: IntegrationRow): string[] {
    return Object.keys(reverseFieldMap(this.provider, integration.field_mappings ?? {}, this.o.crm.defaultFieldMappings));
  }

  /** Applies what is pending; resolves with how many changes it handled. */
  async round(): Promise<number> {
    // Erased contacts: what we knew of their values in the CRM goes too (looked at every 30 s).
    if (Date.now() - this.lastErasureSweep > 30_000) {
      this.lastErasureSweep = Date.now();
      await this.o.pool.query(
        `DELETE FROM ${this.s}.crm_field_state f USING ${this.s}.sync_contacts c WHERE c.contact_id = f.contact_id AND c.erased`,
      );
    }
    const integration = await this.integration();
    if (!integration || integration.status !== 'active') return 0;
    const client = await this.o.pool.connect();
    let handled = 0;
    try {
      const { rows: lock } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtextextended($1, 17)) AS ok`, [
        `inbound:${this.o.schema}`,
      ]);
      if (!lock[0]?.ok) return 0;
      try {
        const { rows } = await client.query<{ id: string; change: InboundChange; via: 'webhook' | 'resync'; attempts: number }>(
          `SELECT id, change, via, attempts FROM ${this.s}.inbound_changes
            WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY seq LIMIT 200`,
        );
        for (const row of rows) {
          if (this.rounds.stopped) break;
          try {
            await this.applyChange(integration, row.id, row.change, row.via);
            await client.query(`UPDATE ${this.s}.inbound_changes SET status = 'applied', change = NULL, last_error = NULL WHERE id = $1`, [row.id]);
          } catch (error) {
            const message = (error as Error).message;
            // Transient (contacts or the CRM unavailable): again later, backing off; 20 attempts at most.
            const dead = row.attempts + 1 >= 20;
            await client.query(
              `UPDATE ${this.s}.inbound_changes SET attempts = attempts + 1, last_error = $2, status = $3,
                 next_attempt_at = now() + make_interval(secs => LEAST(60, power(2, attempts))) WHERE id = $1`,
              [row.id, message.slice(0, 500), dead ? 'failed' : 'pending'],
            );
            this.o.log.warn('inbound change not applied yet', { provider: this.provider, error: message, attempts: row.attempts + 1 });
            break; // keep the order: what follows may depend on it
          }
          handled++;
        }
      } finally {
        await client.query(`SELECT pg_advisory_unlock(hashtextextended($1, 17))`, [`inbound:${this.o.schema}`]);
      }
    } finally {
      client.release();
    }
    return handled;
  }

  private async contactByExternalId(externalId: string): Promise<SyncContact | null> {
    const { rows } = await this.o.pool.query<SyncContact>(
      `SELECT contact_id, email, first_name, last_name, phone, lifecycle_stage, lead_score, properties, tag_ids, changed_at,
              version, pushed_version
         FROM ${this.s}.sync_contacts WHERE external_id = $1 AND NOT erased ORDER BY changed_at DESC LIMIT 1`,
      [externalId],
    );
    return rows[0] ?? null;
  }

  private async erasedHere(externalId: string): Promise<boolean> {
    const { rows } = await this.o.pool.query(`SELECT 1 FROM ${this.s}.sync_contacts WHERE external_id = $1 AND erased LIMIT 1`, [externalId]);
    return rows.length > 0;
  }

  private async contactByEmail(email: string, externalId: string): Promise<SyncContact | null> {
    const { rows } = await this.o.pool.query<SyncContact>(
      `UPDATE ${this.s}.sync_contacts SET external_id = $2
        WHERE contact_id = (SELECT contact_id FROM ${this.s}.sync_contacts
                             WHERE lower(email) = lower($1) AND NOT erased AND (external_id IS NULL OR external_id = $2) LIMIT 1)
        RETURNING contact_id, email, first_name, last_name, phone, lifecycle_stage, lead_score, properties, tag_ids, changed_at,
                  version, pushed_version`,
      [email, externalId],
    );
    return rows[0] ?? null;
  }

  private async known(contactId: string): Promise<Record<string, KnownValue>> {
    const { rows } = await this.o.pool.query<{ field: string; value: string | null; origin: 'pushed' | 'received'; at: Date; landed_at: Date | null }>(
      `SELECT field, value, origin, at, landed_at FROM ${this.s}.crm_field_state WHERE contact_id = $1`,
      [contactId],
    );
    return Object.fromEntries(
      rows.map((r) => [r.field, { value: r.value, origin: r.origin, at: r.at.toISOString(), landedAt: r.landed_at?.toISOString() ?? null }]),
    );
  }

  /** The CRM has these values since `at` (never moved back by an older change). */
  private async remember(contactId: string, fields: Record<string, string | null>, at: string): Promise<void> {
    for (const [field, value] of Object.entries(fields)) {
      await this.o.pool.query(
        `INSERT INTO ${this.s}.crm_field_state (contact_id, field, value, origin, at)
         SELECT $1::uuid, $2::text, $3::text, 'received', $4::timestamptz
          -- A change that arrives after the contact's erasure leaves nothing of it behind.
          WHERE NOT EXISTS (SELECT 1 FROM ${this.s}.sync_contacts WHERE contact_id = $1 AND erased)
         ON CONFLICT (contact_id, field) DO UPDATE SET value = EXCLUDED.value, origin = 'received', at = EXCLUDED.at, landed_at = NULL
         WHERE ${this.s}.crm_field_state.at <= EXCLUDED.at AND ${this.s}.crm_field_state.value IS DISTINCT FROM EXCLUDED.value
           -- a push of ours that reached the CRM after this change overwrote it there: the CRM has ours
           AND (${this.s}.crm_field_state.landed_at IS NULL OR ${this.s}.crm_field_state.landed_at <= EXCLUDED.at)`,
        [contactId, field, normalised(value), at],
      );
    }
  }

  /** Our tags of a contact in the CRM's names (the tag mapping, else the slug). */
  private async tagNames(tagIds: string[]): Promise<Map<string, string>> {
    if (tagIds.length === 0) return new Map();
    const { rows } = await this.o.pool.query<{ tag_id: string; slug: string; mapping_type: string | null; external_id: string | null }>(
      `SELECT tag_id, slug, mapping_type, external_id FROM ${this.s}.sync_tags WHERE tag_id = ANY($1::uuid[])`,
      [tagIds],
    );
    return new Map(rows.map((r) => [r.mapping_type === 'tag' && r.external_id ? r.external_id : r.slug, r.slug]));
  }

  /** The CRM's tag names as ours: the reverse tag mapping (tags.crm_tag_mappings), else the name itself. */
  private async ourTagSlugs(names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const { rows } = await this.o.pool.query<{ slug: string; external_id: string }>(
      `SELECT slug, external_id FROM ${this.s}.sync_tags WHERE mapping_type = 'tag' AND external_id = ANY($1::text[]) AND slug <> ''`,
      [names],
    );
    const mapped = new Map(rows.map((r) => [r.external_id, r.slug]));
    return [...new Set(names.map((n) => mapped.get(n) ?? n))];
  }

  /** Applies one change (from the queue, or directly from a resync); resolves with what it did. */
  async applyChange(integration: IntegrationRow, id: string, change: InboundChange, via: 'webhook' | 'resync'): Promise<InboundResult> {
    const started = Date.now();
    const outcome = (data: Omit<CrmInboundOutcomeData, 'provider' | 'integrationId' | 'externalId' | 'via' | 'at' | 'durationMs'>) =>
      this.record(id, { provider: this.provider, integrationId: integration.id, externalId: change.externalId, via, at: new Date().toISOString(), durationMs: Date.now() - started, ...data });
    const config = integration.config ?? {};
    let contact = await this.contactByExternalId(change.externalId);

    if (change.kind === 'delete') return this.applyDelete(config, contact, outcome);
    if (change.kind === 'merge') return this.applyMerge(change, outcome);

    let fields = change.fields;
    let tags = change.tags;
    let occurredAt = change.occurredAt;
    if (contact === null && (await this.erasedHere(change.externalId))) {
      await outcome({ contactId: null, syncType: 'contact_update', status: 'skipped', applied: [], skipped: {}, reason: 'the contact was erased here' });
      return 'skipped';
    }
    // A record new to us is read from the CRM whatever the webhook carried: it may be gone there since
    // (a late retry must not bring back a contact), and the read is the record as it is now.
    if (fields === null || contact === null) {
      const record: CrmRecord | null = await this.o.inbound.readContact(this.o.call, change.externalId, config, this.crmFields(integration));
      if (record === null) {
        await outcome({ contactId: contact?.contact_id ?? null, syncType: 'contact_update', status: 'skipped', applied: [], skipped: {}, reason: 'the record is no longer in the CRM' });
        return 'skipped';
      }
      fields = { ...record.fields, ...(fields ?? {}) };
      tags = tags ?? record.tags;
      if (change.fields === null) occurredAt = record.updatedAt > occurredAt ? record.updatedAt : occurredAt;
    }

    const reverse = reverseFieldMap(this.provider, integration.field_mappings ?? {}, this.o.crm.defaultFieldMappings);
    if (contact === null) {
      // Our own push whose CRM id is not written yet, or a record the CRM made for a contact we have: matched by email.
      const emailField = Object.keys(reverse).find((f) => reverse[f] === 'email');
      const email = emailField ? normalised(fields[emailField]) : null;
      if (email !== null) contact = await this.contactByEmail(email, change.externalId);
    }
    const policyOf = (crmField: string) => conflictPolicyOf(config, ourFieldOf(crmField, reverse));
    const ours =
      contact === null
        ? null
        : mapContactFields({
            provider: this.provider,
            contact: {
              email: contact.email ?? '',
              firstName: contact.first_name,
              lastName: contact.last_name,
              phone: contact.phone,
              lifecycleStage: contact.lifecycle_stage,
              leadScore: contact.lead_score,
              properties: contact.properties ?? {},
            },
            integrationMappings: integration.field_mappings ?? {},
            propertyMappings: {},
            providerDefaults: this.o.crm.defaultFieldMappings,
            lifecycleStages: this.o.crm.lifecycleStages,
          }).fields;
    // Only fields that mean something here take part (a CRM's system fields are no change of ours).
    const relevant = Object.fromEntries(Object.entries(fields).filter(([f]) => reverse[f] !== undefined && reverse[f] !== 'lead_score'));
    const known = contact ? await this.known(contact.contact_id) : {};
    const plan = planInbound({
      fields: relevant,
      occurredAt,
      ours,
      oursChangedAt: contact?.changed_at.toISOString() ?? null,
      known,
      policyOf,
    });
    const changes = toContactChanges(plan.take, reverse, this.o.crm.lifecycleStages);

    if (contact === null) {
      const email = normalised(changes.email ?? null);
      if (email === null) {
        await outcome({ contactId: null, syncType: 'contact_create', status: 'skipped', applied: [], skipped: {}, reason: 'the CRM record has no email' });
        return 'skipped';
      }
      try {
        const { contactId, created } = await this.o.writer.upsert({
          email,
          ...identityOf(changes),
          ...(changes.lifecycleStage ? { lifecycleStage: changes.lifecycleStage } : {}),
          properties: withoutNulls(changes.properties),
          tags: tags ?? [],
          // The CRM it came from, and those the config names (`inbound_sync_to_crms`: ["gohighlevel"]).
          syncToCrms: [...new Set([this.provider, ...stringList(config.inbound_sync_to_crms)])],
        });
        // Linked before the contacts feed sees the contact: the pusher updates this record, never makes another.
        await this.o.pool.query(
          `INSERT INTO ${this.s}.sync_contacts (contact_id, email, external_id, pushed_email) VALUES ($1, $2, $3, $2)
           ON CONFLICT (contact_id) DO UPDATE SET external_id = COALESCE(${this.s}.sync_contacts.external_id, EXCLUDED.external_id)`,
          [contactId, email, change.externalId],
        );
        await this.remember(contactId, tags === null ? relevant : { ...relevant, [TAGS_FIELD]: tagSetValue(tags) }, occurredAt);
        await this.o.writer.link(contactId, change.externalId);
        await outcome({ contactId, syncType: created ? 'contact_create' : 'contact_update', status: 'success', applied: fieldNames(changes), skipped: {}, reason: null });
        return created ? 'created' : 'updated';
      } catch (error) {
        return this.refused(error, null, 'contact_create', outcome);
      }
    }

    const contactId = contact.contact_id;
    const applied: string[] = fieldNames(changes);
    try {
      let email = contact.email ?? '';
      if (changes.email !== undefined && changes.email !== null && changes.email !== email) {
        await this.o.writer.changeEmail(contactId, changes.email);
        email = changes.email;
      }
      const identity = identityOf(changes);
      const stage = changes.lifecycleStage ? { lifecycleStage: changes.lifecycleStage } : {};
      if (Object.keys(identity).length + Object.keys(stage).length + Object.keys(changes.properties).length > 0) {
        await this.o.writer.upsert({ email, ...identity, ...stage, properties: changes.properties });
      }
      if (tags !== null) {
        const ourTags = await this.tagNames(contact.tag_ids ?? []);
        const theirs = new Set(tags);
        const added = tags.filter((t) => !ourTags.has(t));
        const removed = [...ourTags.keys()].filter((t) => !theirs.has(t));
        // Our tags differ from the set the CRM last had (as far as we know): a tag change here not pushed
        // yet, newer than what the CRM says; it waits for the push (which brings the CRM to ours).
        const knownTags = known[TAGS_FIELD];
        const localPending = knownTags !== undefined && knownTags.value !== tagSetValue([...ourTags.keys()]);
        if (!localPending) {
          await this.o.writer.addTags(contactId, await this.ourTagSlugs(added));
          for (const name of removed) await this.o.writer.removeTag(contactId, ourTags.get(name)!);
          applied.push(...added.map((t) => `+tag:${t}`), ...removed.map((t) => `-tag:${t}`));
        } else if (added.length + removed.length > 0) {
          plan.skipped.tags = 'a tag change here is waiting to be pushed';
        }
      }
    } catch (error) {
      return this.refused(error, contactId, 'contact_update', outcome);
    }
    await this.remember(contactId, tags === null ? relevant : { ...relevant, [TAGS_FIELD]: tagSetValue(tags) }, occurredAt);
    if (plan.pushOurs) {
      // Ours won: the CRM gets our value back (crm_field_state now says the CRM differs).
      await this.o.pool.query(`UPDATE ${this.s}.sync_contacts SET version = version + 1, changed_at = now() WHERE contact_id = $1`, [contactId]);
    }
    const conflicts = Object.values(plan.skipped).some((r) => r.startsWith('conflict') || r.startsWith('stale'));
    if (applied.length === 0) {
      const skippedAny = Object.keys(plan.skipped).length > 0;
      // A resync of unchanged data writes nothing, not even a log row.
      if (via === 'resync' && !skippedAny && !plan.pushOurs) return 'unchanged';
      await outcome({
        contactId,
        syncType: 'contact_update',
        status: 'skipped',
        applied: [],
        skipped: plan.skipped,
        reason: skippedAny ? Object.values(plan.skipped)[0]! : 'nothing differs (our own echo, or a redelivery)',
      });
      return conflicts ? 'conflict' : 'unchanged';
    }
    await outcome({ contactId, syncType: 'contact_update', status: 'success', applied, skipped: plan.skipped, reason: null });
    return conflicts ? 'conflict' : 'updated';
  }

  private async applyDelete(config: Record<string, unknown>, contact: SyncContact | null, outcome: (d: Omit<CrmInboundOutcomeData, 'provider' | 'integrationId' | 'externalId' | 'via' | 'at' | 'durationMs'>) => Promise<void>): Promise<InboundResult> {
    const setting = config.inbound_delete ?? config.inboundDelete;
    const policy = (DELETE_POLICIES as readonly unknown[]).includes(setting) ? (setting as (typeof DELETE_POLICIES)[number]) : 'unlink';
    if (contact === null || policy === 'ignore') {
      await outcome({ contactId: contact?.contact_id ?? null, syncType: 'contact_delete', status: 'skipped', applied: [], skipped: {}, reason: contact === null ? 'no contact here is linked to that record' : 'inbound_delete is ignore' });
      return 'skipped';
    }
    try {
      await this.o.writer.unlink(contact.contact_id).catch((error) => {
        if (!(error instanceof ContactsCallError && error.status === 404)) throw error;
      });
      if (policy === 'soft_delete') await this.o.writer.softDelete(contact.contact_id);
    } catch (error) {
      return this.refused(error, contact.contact_id, 'contact_delete', outcome);
    }
    // Unlinked: a later change here makes a new record there only if the contact asks for this CRM again.
    await this.o.pool.query(`UPDATE ${this.s}.sync_contacts SET external_id = NULL, sync_requested = false, pushed_version = version WHERE contact_id = $1`, [contact.contact_id]);
    await this.o.pool.query(`DELETE FROM ${this.s}.crm_field_state WHERE contact_id = $1`, [contact.contact_id]);
    await outcome({ contactId: contact.contact_id, syncType: 'contact_delete', status: 'success', applied: [policy], skipped: {}, reason: null });
    return policy === 'soft_delete' ? 'deleted' : 'unlinked';
  }

  /** HubSpot's merge: the contacts linked to the merged records are linked to the surviving one. */
  private async applyMerge(change: InboundChange, outcome: (d: Omit<CrmInboundOutcomeData, 'provider' | 'integrationId' | 'externalId' | 'via' | 'at' | 'durationMs'>) => Promise<void>): Promise<InboundResult> {
    const merged = (change.mergedIds ?? []).filter((id) => id !== change.externalId);
    const { rows } = await this.o.pool.query<{ contact_id: string }>(
      `UPDATE ${this.s}.sync_contacts SET external_id = $1 WHERE external_id = ANY($2::text[]) RETURNING contact_id`,
      [change.externalId, merged],
    );
    for (const row of rows) await this.o.writer.link(row.contact_id, change.externalId);
    await outcome({ contactId: rows[0]?.contact_id ?? null, syncType: 'contact_update', status: rows.length > 0 ? 'success' : 'skipped', applied: rows.length > 0 ? ['relinked'] : [], skipped: {}, reason: rows.length > 0 ? null : 'no contact here is linked to the merged records' });
    return rows.length > 0 ? 'updated' : 'skipped';
  }

  private async refused(
    error: unknown,
    contactId: string | null,
    syncType: CrmInboundOutcomeData['syncType'],
    outcome: (d: Omit<CrmInboundOutcomeData, 'provider' | 'integrationId' | 'externalId' | 'via' | 'at' | 'durationMs'>) => Promise<void>,
  ): Promise<InboundResult> {
    if (!(error instanceof ContactsCallError) || !error.permanent) throw error;
    await outcome({ contactId, syncType, status: 'failed', applied: [], skipped: {}, reason: error.message.slice(0, 500) });
    return 'failed';
  }

  private async record(changeId: string, data: CrmInboundOutcomeData): Promise<void> {
    const id = outcomeEventId(`inbound-outcome:${changeId}`);
    await this.o.store.appendToStream(
      `${inboundStreamPrefix(this.provider)}${changeId}`,
      [
        {
          id,
          type: 'CrmInboundApplied',
          schemaVersion: INBOUND_EVENT_SCHEMA_VERSIONS.CrmInboundApplied,
          data,
          metadata: { correlationId: changeId, causationId: changeId, traceparent: null, actor: `connector-${this.provider}`, occurredAt: data.at },
        },
      ],
      { expectedRevision: 'any' },
    );
  }
}

function identityOf(changes: ReturnType<typeof toContactChanges>) {
  const identity: { firstName?: string | null; lastName?: string | null; phone?: string | null } = {};
  if (changes.firstName !== undefined) identity.firstName = changes.firstName;
  if (changes.lastName !== undefined) identity.lastName = changes.lastName;
  if (changes.phone !== undefined) identity.phone = changes.phone;
  return identity;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && /^[a-z][a-z0-9_]{1,49}$/.test(v)) : [];
}

function withoutNulls(properties: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(properties).filter((e): e is [string, string] => e[1] !== null));
}

function fieldNames(changes: ReturnType<typeof toContactChanges>): string[] {
  const names = (['email', 'firstName', 'lastName', 'phone', 'lifecycleStage'] as const).filter((k) => changes[k] !== undefined);
  return [...names, ...Object.keys(changes.properties)];
}

