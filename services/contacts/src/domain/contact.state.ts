// What the contact decider knows about a contact: the fold of its stream.
// Only what decisions need (idempotency checks, previous values for from/to
// events); the read models keep the rest. evolve never throws and never
// mutates: it returns a new state, sharing what did not change.
import type {
  ConsentChannel,
  ContactEvent,
  ContactStatus,
  LifecycleStage,
  PropertyType,
  SyncDirection,
} from '@engagement/contracts';

export type ContactProperty = {
  value: string;
  type: PropertyType;
  enumOptions: string[] | null;
};

export type ExternalMapping = {
  externalId: string;
  url: string | null;
  syncDirection: SyncDirection;
  syncedAt: string | null;
};

export type ContactRecord = {
  contactId: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  timezone: string;
  locale: string;
  avatarUrl: string | null;
  lifecycleStage: LifecycleStage;
  status: ContactStatus;
  leadScore: number;
  properties: ReadonlyMap<string, ContactProperty>;
  /** tag id → slug */
  tags: ReadonlyMap<string, string>;
  /** true: granted, false: revoked; a channel never decided on is absent. */
  consent: ReadonlyMap<ConsentChannel, boolean>;
  /** provider → mapping */
  externalMappings: ReadonlyMap<string, ExternalMapping>;
  /** Every activity id recorded on the contact, for idempotent recording. */
  activityIds: ReadonlySet<string>;
  /** `<activityId>:<provider>` for each activity a CRM connector pushed. */
  syncedActivities: ReadonlySet<string>;
};

/**
 * absent: no ContactCreated yet; live: can change; deleted: soft-deleted,
 * only erasure is left; erased: nothing is left.
 */
export type ContactState =
  | { kind: 'absent' }
  | { kind: 'live'; contact: ContactRecord }
  | { kind: 'deleted'; contact: ContactRecord }
  | { kind: 'erased' };

export function initialContactState(): ContactState {
  return { kind: 'absent' };
}

function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  return new Map(map).set(key, value);
}

function withoutEntry<K, V>(map: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> {
  const copy = new Map(map);
  copy.delete(key);
  return copy;
}

/** The contact's changes; the facts a state kind carries stay with it. */
function evolveRecord(contact: ContactRecord, event: ContactEvent): ContactRecord {
  switch (event.type) {
    case 'ContactIdentityUpdated':
      // Holds only the changed fields (and the contact's own id).
      return { ...contact, ...event.data };
    case 'ContactEmailChanged':
      return { ...contact, email: event.data.email };
    case 'ContactPropertySet': {
      const { value, type, enumOptions } = event.data;
      return {
        ...contact,
        properties: withEntry(contact.properties, event.data.name, { value, type, enumOptions }),
      };
    }
    case 'ContactPropertyRemoved':
      return { ...contact, properties: withoutEntry(contact.properties, event.data.name) };
    case 'ContactTagAdded':
      return { ...contact, tags: withEntry(contact.tags, event.data.tagId, event.data.slug) };
    case 'ContactTagRemoved':
      return { ...contact, tags: withoutEntry(contact.tags, event.data.tagId) };
    case 'ContactConsentGranted':
      return { ...contact, consent: withEntry(contact.consent, event.data.channel, true) };
    case 'ContactConsentRevoked':
      return { ...contact, consent: withEntry(contact.consent, event.data.channel, false) };
    case 'ContactLifecycleStageChanged':
      return { ...contact, lifecycleStage: event.data.to };
    case 'ContactLeadScoreChanged':
      return { ...contact, leadScore: event.data.to };
    case 'ContactStatusChanged':
      return { ...contact, status: event.data.to };
    case 'ContactDeleted':
      return { ...contact, status: 'deleted' };
    case 'ContactExternalMappingLinked': {
      const { provider, externalId, url, syncDirection, syncedAt } = event.data;
      const mapping = { externalId, url, syncDirection, syncedAt };
      return {
        ...contact,
        externalMappings: withEntry(contact.externalMappings, provider, mapping),
      };
    }
    case 'ContactExternalMappingUnlinked':
      return {
        ...contact,
        externalMappings: withoutEntry(contact.externalMappings, event.data.provider),
      };
    case 'ActivityRecorded':
      // A copy per activity: linear in the activities so far. Fine for the
      // thousands a contact gathers; snapshots are the answer beyond that.
      return { ...contact, activityIds: new Set(contact.activityIds).add(event.data.activityId) };
    case 'ActivitySyncedToCrm':
      return {
        ...contact,
        syncedActivities: new Set(contact.syncedActivities).add(
          `${event.data.activityId}:${event.data.provider}`,
        ),
      };
    case 'ContactCreated':
    case 'ContactErased':
      return contact;
  }
}

function createdRecord(event: Extract<ContactEvent, { type: 'ContactCreated' }>): ContactRecord {
  const {
    contactId,
    email,
    firstName,
    lastName,
    phone,
    timezone,
    locale,
    avatarUrl,
    lifecycleStage,
  } = event.data;
  return {
    contactId,
    email,
    firstName,
    lastName,
    phone,
    timezone,
    locale,
    avatarUrl,
    lifecycleStage,
    status: 'active',
    leadScore: 0,
    properties: new Map(),
    tags: new Map(),
    consent: new Map(),
    externalMappings: new Map(),
    activityIds: new Set(),
    syncedActivities: new Set(),
  };
}

export function evolveContact(state: ContactState, event: ContactEvent): ContactState {
  if (event.type === 'ContactErased') return { kind: 'erased' };
  switch (state.kind) {
    case 'absent':
      // Only a creation brings a contact into being; anything else before it
      // cannot have been written by this decider and is ignored.
      return event.type === 'ContactCreated'
        ? { kind: 'live', contact: createdRecord(event) }
        : state;
    case 'live':
    case 'deleted': {
      const contact = evolveRecord(state.contact, event);
      return { kind: event.type === 'ContactDeleted' ? 'deleted' : state.kind, contact };
    }
    case 'erased':
      return state;
  }
}
