// What a batch of contact and tag events does to the read model's rows,
// decided in memory by pure functions: given the rows the batch touches (as
// loaded before it) and its events in log order, foldEvents() returns the
// final rows to write and the rows to delete. The projection's shell loads
// and writes them with a handful of bulk statements, however many events
// the batch holds; that is what makes a rebuild fast.
//
// Rows are a pure function of the events: times from event metadata
// (occurredAt) or data (consent at, activity occurredAt, deletedAt), ids
// from event data or the event's own id (a property's or tag link's row id
// is the id of the event that created it). Never now(), never random: a
// rebuild reproduces the live tables exactly, whatever the batch sizes.
//
// Erasure (ContactErased) keeps what counts and drops what identifies: the
// contact row stays (status deleted, erased_at set) with a placeholder email
// (the column is NOT NULL UNIQUE) and no names, phone, avatar, CRM ids or
// consent IPs; its properties go; its tags and activities stay, the
// activities without their data. Events written before the erasure come back
// from decrypt() with their personal fields null or replaced once the key is
// gone; the fold tolerates that, and the erasure then overwrites every such
// field with the same fixed value the live tables got, so live and rebuilt
// rows agree.
import type { ContactEvent, TagEvent } from '@engagement/contracts';
import type {
  ActivityRow,
  ContactRow,
  ContactTagRow,
  ExternalMappingJson,
  PropertyRow,
  TagRow,
} from './contacts-read-model.rows';

/** A decoded event (decrypted, upcast) with what the rows need of its envelope. */
export type ReadModelEvent =
  | { kind: 'contact'; eventId: string; occurredAt: string; event: ContactEvent }
  | { kind: 'tag'; eventId: string; occurredAt: string; event: TagEvent };

/** Which existing rows a batch needs loaded before it is folded. */
export interface RowsNeeded {
  contactIds: string[];
  /** Contacts whose contact_properties rows are needed. */
  propertiesOf: string[];
  /** Contacts whose contact_tags rows are needed. */
  contactTagsOf: string[];
  tagIds: string[];
}

export interface LoadedRows {
  contacts: ContactRow[];
  properties: PropertyRow[];
  contactTags: ContactTagRow[];
  tags: TagRow[];
}

/** What to write, in the order the shell writes it (see contacts-read-model.store.ts). */
export interface RowChanges {
  deletedTagIds: string[];
  /** Existing tags whose name or slug changes: parked on unique placeholders first (see below). */
  movedTagIds: string[];
  tags: TagRow[];
  /** Existing contacts whose email changes: parked first, like moved tags. */
  movedContactIds: string[];
  contacts: ContactRow[];
  deletedPropertyIds: string[];
  properties: PropertyRow[];
  deletedContactTagIds: string[];
  contactTags: ContactTagRow[];
  activities: ActivityRow[];
  /** Entries of activities' synced_to_crms: each replaces the provider's entry, if any. */
  activitySyncs: ActivitySync[];
  /** Their activities already stored lose their data (this batch's have lost it in the fold). */
  erasedContactIds: string[];
}

/** One entry of activities.synced_to_crms (seed: JSONB array), for one provider. */
export interface ActivitySync {
  activityId: string;
  provider: string;
  entry: { provider: string; activity_id: string; synced_at: string };
}

/** The placeholder an erased contact's email becomes: unique, and never deliverable (.invalid). */
export function erasedEmail(contactId: string): string {
  return `erased+${contactId}@erased.invalid`;
}

export function rowsNeeded(events: readonly ReadModelEvent[]): RowsNeeded {
  const contactIds = new Set<string>();
  const propertiesOf = new Set<string>();
  const contactTagsOf = new Set<string>();
  const tagIds = new Set<string>();
  // Created in this batch: nothing of theirs exists yet, nothing to load.
  const newContacts = new Set<string>();
  const newTags = new Set<string>();
  for (const e of events) {
    if (e.kind === 'tag') {
      if (e.event.type === 'TagCreated') newTags.add(e.event.data.tagId);
      tagIds.add(e.event.data.tagId);
      continue;
    }
    const event = e.event;
    const contactId = event.data.contactId;
    contactIds.add(contactId);
    if (event.type === 'ContactCreated') newContacts.add(contactId);
    if (
      event.type === 'ContactPropertySet' ||
      event.type === 'ContactPropertyRemoved' ||
      event.type === 'ContactErased'
    ) {
      propertiesOf.add(contactId);
    }
    if (event.type === 'ContactTagAdded' || event.type === 'ContactTagRemoved') {
      contactTagsOf.add(contactId);
      tagIds.add(event.data.tagId);
    }
  }
  const existing = (ids: Set<string>, created: Set<string>) =>
    [...ids].filter((id) => !created.has(id));
  return {
    contactIds: existing(contactIds, newContacts),
    propertiesOf: existing(propertiesOf, newContacts),
    contactTagsOf: existing(contactTagsOf, newContacts),
    tagIds: existing(tagIds, newTags),
  };
}

/** The rows as the batch goes along: contact id → its rows, keyed the way the events name them. */
interface Working {
  contacts: Map<string, ContactRow>;
  /** contact id → property name → row */
  properties: Map<string, Map<string, PropertyRow>>;
  /** contact id → tag id → row */
  contactTags: Map<string, Map<string, ContactTagRow>>;
  tags: Map<string, TagRow>;
  activities: Map<string, ActivityRow>;
  /** synced_to_crms entries to set on activities, in event order (the store applies them after the inserts). */
  activitySyncs: ActivitySync[];
  touchedContacts: Set<string>;
  touchedTags: Set<string>;
  touchedProperties: Set<PropertyRow>;
  erased: Set<string>;
}

export function foldEvents(loaded: LoadedRows, events: readonly ReadModelEvent[]): RowChanges {
  const w: Working = {
    contacts: new Map(loaded.contacts.map((c) => [c.id, { ...c }])),
    properties: new Map(),
    contactTags: new Map(),
    tags: new Map(loaded.tags.map((t) => [t.id, { ...t }])),
    activities: new Map(),
    activitySyncs: [],
    touchedContacts: new Set(),
    touchedTags: new Set(),
    touchedProperties: new Set(),
    erased: new Set(),
  };
  for (const p of loaded.properties) propertiesOf(w, p.contact_id).set(p.property_name, { ...p });
  for (const t of loaded.contactTags) contactTagsOf(w, t.contact_id).set(t.tag_id, t);

  for (const e of events) {
    if (e.kind === 'tag') foldTagEvent(w, e.event, e.occurredAt);
    else foldContactEvent(w, e.event, e.eventId, e.occurredAt);
  }
  return changesOf(loaded, w);
}

function propertiesOf(w: Working, contactId: string): Map<string, PropertyRow> {
  let map = w.properties.get(contactId);
  if (!map) w.properties.set(contactId, (map = new Map()));
  return map;
}

function contactTagsOf(w: Working, contactId: string): Map<string, ContactTagRow> {
  let map = w.contactTags.get(contactId);
  if (!map) w.contactTags.set(contactId, (map = new Map()));
  return map;
}

/** The later of two ISO times (the first on a tie): clocks of two writers may disagree a little. */
function later(current: string | null, candidate: string): string {
  if (current === null) return candidate;
  return Date.parse(candidate) > Date.parse(current) ? candidate : current;
}

/** A personal text field as decrypt() left it: a string, or null when the key was destroyed. */
function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** An email, or the erased placeholder when decrypt() could not give one back. */
function emailOr(value: unknown, contactId: string): string {
  return typeof value === 'string' && value.includes('@') ? value : erasedEmail(contactId);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------- contacts

function foldContactEvent(
  w: Working,
  event: ContactEvent,
  eventId: string,
  occurredAt: string,
): void {
  const contactId = event.data.contactId;
  if (event.type === 'ContactCreated') {
    // A contact is created once (its decider refuses a second create).
    if (!w.contacts.has(contactId)) w.contacts.set(contactId, createdContact(event, occurredAt));
    w.touchedContacts.add(contactId);
    return;
  }
  const contact = w.contacts.get(contactId);
  // Nothing reaches a contact before its ContactCreated; skipping keeps the
  // projection going should an event ever arrive for a contact it never saw.
  if (!contact) return;
  w.touchedContacts.add(contactId);
  contact.updated_at = later(contact.updated_at, occurredAt);

  switch (event.type) {
    case 'ContactIdentityUpdated': {
      // Only the fields that changed are present.
      const d = event.data;
      if ('firstName' in d) contact.first_name = text(d.firstName);
      if ('lastName' in d) contact.last_name = text(d.lastName);
      if ('phone' in d) contact.phone = text(d.phone);
      if ('avatarUrl' in d) contact.avatar_url = text(d.avatarUrl);
      if (d.timezone !== undefined) contact.timezone = d.timezone;
      if (d.locale !== undefined) contact.locale = d.locale;
      return;
    }
    case 'ContactEmailChanged':
      contact.email = emailOr(event.data.email, contactId);
      return;
    case 'ContactPropertySet':
      setProperty(w, event.data, eventId, occurredAt);
      return;
    case 'ContactPropertyRemoved':
      propertiesOf(w, contactId).delete(event.data.name);
      return;
    case 'ContactTagAdded': {
      const tags = contactTagsOf(w, contactId);
      // A tag deleted (or never created) by the time the link arrives has no
      // row to point at: the link is dropped, as the seed's cascade would.
      if (!w.tags.has(event.data.tagId) || tags.has(event.data.tagId)) return;
      tags.set(event.data.tagId, {
        id: eventId,
        contact_id: contactId,
        tag_id: event.data.tagId,
        applied_at: occurredAt,
        applied_by: event.data.appliedBy,
      });
      return;
    }
    case 'ContactTagRemoved':
      contactTagsOf(w, contactId).delete(event.data.tagId);
      return;
    case 'ContactConsentGranted':
    case 'ContactConsentRevoked': {
      const { channel, at, ip } = event.data;
      const granted = event.type === 'ContactConsentGranted';
      const ipText = text(ip);
      contact.consent = {
        ...contact.consent,
        [channel]:
          ipText === null ? { granted, updated_at: at } : { granted, updated_at: at, ip: ipText },
      };
      return;
    }
    case 'ContactLifecycleStageChanged':
      contact.lifecycle_stage = event.data.to;
      return;
    case 'ContactLeadScoreChanged':
      // Activities' points arrive as this event too (the decider emits both): the score is its `to`.
      contact.lead_score = event.data.to;
      return;
    case 'ContactStatusChanged':
      contact.status = event.data.to;
      return;
    case 'ContactDeleted':
      contact.status = 'deleted';
      contact.deleted_at = event.data.deletedAt;
      return;
    case 'ContactExternalMappingLinked': {
      const d = event.data;
      const mapping: ExternalMappingJson = {
        provider: d.provider,
        id: text(d.externalId),
        ...(text(d.url) === null ? {} : { url: text(d.url) as string }),
        ...(d.syncedAt === null ? {} : { synced_at: d.syncedAt }),
        sync_direction: d.syncDirection,
      };
      // One mapping per provider: a relink replaces it where it stands.
      const at = contact.external_mappings.findIndex((m) => m.provider === d.provider);
      contact.external_mappings =
        at === -1
          ? [...contact.external_mappings, mapping]
          : contact.external_mappings.map((m, i) => (i === at ? mapping : m));
      return;
    }
    case 'ContactExternalMappingUnlinked':
      contact.external_mappings = contact.external_mappings.filter(
        (m) => m.provider !== event.data.provider,
      );
      return;
    case 'ActivityRecorded': {
      const d = event.data;
      // An activity id is recorded once (the decider's idempotency); the first wins.
      if (!w.activities.has(d.activityId)) {
        w.activities.set(d.activityId, {
          id: d.activityId,
          contact_id: contactId,
          activity_type: d.activityType,
          activity_data: isPlainObject(d.activityData) ? d.activityData : {},
          related_to_type: d.relatedToType,
          related_to_id: d.relatedToId,
          source: d.source,
          synced_to_crms: [],
          occurred_at: d.occurredAt,
          created_at: occurredAt,
        });
      }
      contact.last_activity_at = later(contact.last_activity_at, d.occurredAt);
      return;
    }
    case 'ActivitySyncedToCrm': {
      const d = event.data;
      w.activitySyncs.push({
        activityId: d.activityId,
        provider: d.provider,
        entry: { provider: d.provider, activity_id: d.externalId, synced_at: d.syncedAt },
      });
      return;
    }
    case 'ContactErased':
      erase(w, contact, event.data.erasedAt);
      return;
  }
}

function createdContact(
  event: Extract<ContactEvent, { type: 'ContactCreated' }>,
  occurredAt: string,
): ContactRow {
  const d = event.data;
  return {
    id: d.contactId,
    email: emailOr(d.email, d.contactId),
    phone: text(d.phone),
    first_name: text(d.firstName),
    last_name: text(d.lastName),
    external_mappings: [],
    timezone: d.timezone,
    locale: d.locale,
    avatar_url: text(d.avatarUrl),
    consent: {},
    lifecycle_stage: d.lifecycleStage,
    lead_score: 0,
    last_activity_at: null,
    status: 'active',
    deleted_at: null,
    created_at: occurredAt,
    updated_at: occurredAt,
    erased_at: null,
  };
}

function setProperty(
  w: Working,
  d: Extract<ContactEvent, { type: 'ContactPropertySet' }>['data'],
  eventId: string,
  occurredAt: string,
): void {
  const properties = propertiesOf(w, d.contactId);
  const synced = d.source === 'crm_sync' ? occurredAt : null;
  const current = properties.get(d.name);
  const row: PropertyRow = current
    ? {
        ...current,
        property_value: text(d.value),
        property_type: d.type,
        source: d.source,
        // When a CRM last told us this value; a local change does not unsync it.
        last_synced_at: synced ?? current.last_synced_at,
        updated_at: occurredAt,
      }
    : {
        id: eventId,
        contact_id: d.contactId,
        property_name: d.name,
        property_value: text(d.value),
        property_type: d.type,
        // No event maps a property to CRM fields yet (the connectors will): the seed's default.
        crm_field_mappings: {},
        source: d.source,
        last_synced_at: synced,
        created_at: occurredAt,
        updated_at: occurredAt,
      };
  properties.set(d.name, row);
  w.touchedProperties.add(row);
}

function erase(w: Working, contact: ContactRow, erasedAt: string): void {
  contact.email = erasedEmail(contact.id);
  contact.first_name = null;
  contact.last_name = null;
  contact.phone = null;
  contact.avatar_url = null;
  // The CRM ids and links identify the person in the CRM.
  contact.external_mappings = [];
  // What was consented to, and when, stays (counts); where from (the IP) goes.
  contact.consent = Object.fromEntries(
    Object.entries(contact.consent).map(([channel, entry]) => [
      channel,
      entry.updated_at === undefined
        ? { granted: entry.granted }
        : { granted: entry.granted, updated_at: entry.updated_at },
    ]),
  );
  contact.status = 'deleted';
  contact.deleted_at = contact.deleted_at ?? erasedAt;
  contact.erased_at = erasedAt;
  // Every property value may be personal: the rows go.
  propertiesOf(w, contact.id).clear();
  // Activities stay (they count) without their data: this batch's here,
  // earlier batches' by the shell (erasedContactIds).
  for (const activity of w.activities.values())
    if (activity.contact_id === contact.id) activity.activity_data = {};
  w.erased.add(contact.id);
}

// ---------------------------------------------------------------- tags

function foldTagEvent(w: Working, event: TagEvent, occurredAt: string): void {
  const tagId = event.data.tagId;
  if (event.type === 'TagCreated') {
    if (w.tags.has(tagId)) return;
    const d = event.data;
    w.tags.set(tagId, {
      id: tagId,
      name: d.name,
      slug: d.slug,
      color: d.color,
      description: d.description,
      category: d.category,
      crm_tag_mappings: {},
      is_system: d.isSystem,
      created_at: occurredAt,
      updated_at: occurredAt,
    });
    w.touchedTags.add(tagId);
    return;
  }
  const tag = w.tags.get(tagId);
  if (!tag) return;
  if (event.type === 'TagDeleted') {
    // The tag and every link to it go (the seed's ON DELETE CASCADE does the
    // same for links of contacts this batch did not load).
    w.tags.delete(tagId);
    for (const links of w.contactTags.values()) links.delete(tagId);
    return;
  }
  w.touchedTags.add(tagId);
  tag.updated_at = later(tag.updated_at, occurredAt);
  switch (event.type) {
    case 'TagUpdated': {
      const d = event.data;
      if (d.name !== undefined) tag.name = d.name;
      if (d.slug !== undefined) tag.slug = d.slug;
      if (d.color !== undefined) tag.color = d.color;
      if (d.description !== undefined) tag.description = d.description;
      if (d.category !== undefined) tag.category = d.category;
      return;
    }
    case 'TagCrmMappingSet':
      tag.crm_tag_mappings = {
        ...tag.crm_tag_mappings,
        [event.data.provider]: { type: event.data.mappingType, id: event.data.externalId },
      };
      return;
    case 'TagCrmMappingRemoved': {
      const provider = event.data.provider;
      tag.crm_tag_mappings = Object.fromEntries(
        Object.entries(tag.crm_tag_mappings).filter(([key]) => key !== provider),
      );
      return;
    }
  }
}

// ---------------------------------------------------------------- changes

/**
 * The final rows against the loaded ones. Unique columns can pass between
 * rows within a batch (contact A's old email becomes contact B's, a tag's
 * old slug another tag's); written in any one order, such a pair can
 * collide mid-statement, so rows whose unique value changes are parked on a
 * placeholder first (movedContactIds, movedTagIds).
 */
function changesOf(loaded: LoadedRows, w: Working): RowChanges {
  const loadedEmail = new Map(loaded.contacts.map((c) => [c.id, c.email]));
  const loadedTag = new Map(loaded.tags.map((t) => [t.id, t]));

  const finalProperties = [...w.properties.values()].flatMap((m) => [...m.values()]);
  const finalPropertyIds = new Set(finalProperties.map((p) => p.id));
  const finalLinks = [...w.contactTags.values()].flatMap((m) => [...m.values()]);
  const finalLinkIds = new Set(finalLinks.map((t) => t.id));
  const loadedLinkIds = new Set(loaded.contactTags.map((t) => t.id));

  const contacts = [...w.touchedContacts].flatMap((id) => w.contacts.get(id) ?? []);
  const tags = [...w.touchedTags].flatMap((id) => w.tags.get(id) ?? []);
  return {
    deletedTagIds: loaded.tags.filter((t) => !w.tags.has(t.id)).map((t) => t.id),
    movedTagIds: tags
      .filter((t) => {
        const before = loadedTag.get(t.id);
        return before !== undefined && (before.name !== t.name || before.slug !== t.slug);
      })
      .map((t) => t.id),
    tags,
    movedContactIds: contacts
      .filter((c) => loadedEmail.has(c.id) && loadedEmail.get(c.id) !== c.email)
      .map((c) => c.id),
    contacts,
    deletedPropertyIds: loaded.properties
      .filter((p) => !finalPropertyIds.has(p.id))
      .map((p) => p.id),
    properties: finalProperties.filter((p) => w.touchedProperties.has(p)),
    deletedContactTagIds: loaded.contactTags
      .filter((t) => !finalLinkIds.has(t.id))
      .map((t) => t.id),
    contactTags: finalLinks.filter((t) => !loadedLinkIds.has(t.id)),
    activities: [...w.activities.values()],
    activitySyncs: w.activitySyncs,
    erasedContactIds: [...w.erased],
  };
}
