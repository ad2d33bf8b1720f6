// The fold alone, without a database: the rows single events lead to, what
// a batch needs loaded, erasure after keys were destroyed, and that the
// final rows do not depend on how the events were cut into batches (an
// in-memory table store stands in for PostgreSQL, applying the changes the
// way contacts-read-model.store.ts does, cascade included).
import { randomUUID } from 'node:crypto';
import type { ContactEvent, TagEvent } from '@engagement/contracts';
import type { CommandContext } from '@engagement/decider';
import { contactDecider, decideAll, type ContactCommand } from '../domain';
import {
  erasedEmail,
  foldEvents,
  rowsNeeded,
  type LoadedRows,
  type ReadModelEvent,
  type RowChanges,
} from './contacts-read-model.fold';
import type {
  ActivityRow,
  ContactRow,
  ContactTagRow,
  PropertyRow,
  TagRow,
} from './contacts-read-model.rows';

const empty: LoadedRows = { contacts: [], properties: [], contactTags: [], tags: [] };

let minute = 0;
function at(): CommandContext {
  return {
    now: new Date(Date.UTC(2026, 0, 1) + minute++ * 60_000),
    actor: 'test',
    correlationId: 'c',
    causationId: null,
    traceparent: null,
  };
}

function contactEvents(
  state: ReturnType<typeof contactDecider.initialState>,
  commands: ContactCommand[],
) {
  const context = at();
  const events = decideAll(contactDecider, commands, state, context);
  const wrapped: ReadModelEvent[] = events.map((event) => ({
    kind: 'contact',
    eventId: randomUUID(),
    occurredAt: context.now.toISOString(),
    event,
  }));
  return { wrapped, state: events.reduce(contactDecider.evolve, state) };
}

function tagEvent(event: TagEvent): ReadModelEvent {
  return { kind: 'tag', eventId: randomUUID(), occurredAt: at().now.toISOString(), event };
}

const created = (tagId: string, name: string, slug: string): TagEvent => ({
  type: 'TagCreated',
  data: { tagId, name, slug, color: null, description: null, category: null, isSystem: false },
});

/** PostgreSQL's part, in memory: the tables by id, changed as writeChanges() changes them. */
class MemoryTables {
  contacts = new Map<string, ContactRow>();
  properties = new Map<string, PropertyRow>();
  tags = new Map<string, TagRow>();
  contactTags = new Map<string, ContactTagRow>();
  activities = new Map<string, ActivityRow>();

  apply(events: ReadModelEvent[]): void {
    const needed = rowsNeeded(events);
    const loaded: LoadedRows = {
      contacts: needed.contactIds.flatMap((id) => this.contacts.get(id) ?? []),
      properties: [...this.properties.values()].filter((p) =>
        needed.propertiesOf.includes(p.contact_id),
      ),
      contactTags: [...this.contactTags.values()].filter((t) =>
        needed.contactTagsOf.includes(t.contact_id),
      ),
      tags: needed.tagIds.flatMap((id) => this.tags.get(id) ?? []),
    };
    this.write(structuredClone(foldEvents(structuredClone(loaded), events)));
  }

  private write(c: RowChanges): void {
    for (const id of c.deletedTagIds) {
      this.tags.delete(id);
      for (const [linkId, link] of this.contactTags)
        if (link.tag_id === id) this.contactTags.delete(linkId);
    }
    for (const t of c.tags) this.tags.set(t.id, t);
    for (const row of c.contacts) this.contacts.set(row.id, row);
    for (const id of c.deletedPropertyIds) this.properties.delete(id);
    for (const p of c.properties) this.properties.set(p.id, p);
    for (const id of c.deletedContactTagIds) this.contactTags.delete(id);
    for (const t of c.contactTags) if (!this.contactTags.has(t.id)) this.contactTags.set(t.id, t);
    for (const a of c.activities) if (!this.activities.has(a.id)) this.activities.set(a.id, a);
    for (const a of this.activities.values())
      if (c.erasedContactIds.includes(a.contact_id)) a.activity_data = {};
    this.checkUnique();
  }

  /** The unique constraints of the seed, which a real write would enforce. */
  private checkUnique(): void {
    const unique = (values: string[]) => expect(new Set(values).size).toBe(values.length);
    unique([...this.contacts.values()].map((c) => c.email));
    unique([...this.tags.values()].map((t) => t.slug));
    unique([...this.properties.values()].map((p) => `${p.contact_id}/${p.property_name}`));
    unique([...this.contactTags.values()].map((t) => `${t.contact_id}/${t.tag_id}`));
  }

  snapshot() {
    const sorted = <T extends { id: string }>(m: Map<string, T>) =>
      [...m.values()].sort((a, b) => a.id.localeCompare(b.id));
    return {
      contacts: sorted(this.contacts),
      properties: sorted(this.properties),
      tags: sorted(this.tags),
      contactTags: sorted(this.contactTags),
      activities: sorted(this.activities),
    };
  }
}

/** A history touching every event type, with unique values passing between rows. */
function history(): ReadModelEvent[] {
  const [a, b, t1, t2] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const events: ReadModelEvent[] = [];
  events.push(tagEvent(created(t1, 'One', 'one')));
  let sa = contactEvents(contactDecider.initialState(), [
    {
      type: 'CreateContact',
      contactId: a,
      email: 'a@example.com',
      firstName: 'Ann',
      source: 'api',
    },
    {
      type: 'AddContactTag',
      contactId: a,
      tagId: t1,
      slug: 'one',
      appliedBy: 'api',
      activityId: randomUUID(),
    },
  ]);
  events.push(...sa.wrapped);
  let sb = contactEvents(contactDecider.initialState(), [
    { type: 'CreateContact', contactId: b, email: 'b@example.com', source: 'import' },
  ]);
  events.push(...sb.wrapped);
  const step = (which: 'a' | 'b', ...commands: ContactCommand[]) => {
    if (which === 'a') {
      sa = contactEvents(sa.state, commands);
      events.push(...sa.wrapped);
    } else {
      sb = contactEvents(sb.state, commands);
      events.push(...sb.wrapped);
    }
  };
  step('a', { type: 'ChangeContactEmail', contactId: a, email: 'tmp@example.com' });
  step('b', { type: 'ChangeContactEmail', contactId: b, email: 'a@example.com' });
  step('a', { type: 'ChangeContactEmail', contactId: a, email: 'b@example.com' });
  step('a', {
    type: 'SetContactProperty',
    contactId: a,
    name: 'company',
    value: 'X',
    propertyType: 'string',
    source: 'api',
    activityId: randomUUID(),
  });
  step('a', {
    type: 'RemoveContactProperty',
    contactId: a,
    name: 'company',
    source: 'api',
    activityId: randomUUID(),
  });
  step('a', {
    type: 'SetContactProperty',
    contactId: a,
    name: 'company',
    value: 'Y',
    propertyType: 'string',
    source: 'crm_sync',
    activityId: randomUUID(),
  });
  step('a', {
    type: 'SetContactProperty',
    contactId: a,
    name: 'company',
    value: 'Z',
    propertyType: 'string',
    source: 'manual',
    activityId: randomUUID(),
  });
  step('b', {
    type: 'GrantConsent',
    contactId: b,
    channel: 'sms',
    at: '2025-01-01T00:00:00.000Z',
    ip: '192.0.2.1',
  });
  step('b', {
    type: 'LinkExternalMapping',
    contactId: b,
    provider: 'hubspot',
    externalId: '1',
    syncDirection: 'bidirectional',
  });
  step('b', {
    type: 'LinkExternalMapping',
    contactId: b,
    provider: 'hubspot',
    externalId: '1',
    url: 'https://example.com/1',
    syncDirection: 'push_only',
  });
  step('b', {
    type: 'RecordActivity',
    contactId: b,
    activityId: randomUUID(),
    activityType: 'note_added',
    activityData: { text: 'hi' },
    source: 'manual',
    occurredAt: '2027-01-01T00:00:00.000Z',
    points: 3,
  });
  events.push(
    tagEvent({ type: 'TagUpdated', data: { tagId: t1, name: 'One old', slug: 'one-old' } }),
  );
  events.push(tagEvent(created(t2, 'One', 'one')));
  step('b', {
    type: 'AddContactTag',
    contactId: b,
    tagId: t2,
    slug: 'one',
    appliedBy: 'user',
    activityId: randomUUID(),
  });
  events.push(tagEvent({ type: 'TagDeleted', data: { tagId: t1, slug: 'one-old' } }));
  step('a', {
    type: 'AddContactTag',
    contactId: a,
    tagId: t1,
    slug: 'one-old',
    appliedBy: 'api',
    activityId: randomUUID(),
  });
  step('b', { type: 'DeleteContact', contactId: b });
  step('b', { type: 'EraseContact', contactId: b });
  return events;
}

describe('contacts read model fold', () => {
  it('needs nothing loaded for what the batch itself creates', () => {
    const id = randomUUID();
    const { wrapped } = contactEvents(contactDecider.initialState(), [
      { type: 'CreateContact', contactId: id, email: 'n@example.com', source: 'api' },
      {
        type: 'SetContactProperty',
        contactId: id,
        name: 'a',
        value: 'b',
        propertyType: 'string',
        source: 'api',
        activityId: randomUUID(),
      },
    ]);
    expect(rowsNeeded(wrapped)).toEqual({
      contactIds: [],
      propertiesOf: [],
      contactTagsOf: [],
      tagIds: [],
    });
  });

  it('writes the seed JSON shapes for consent and external mappings', () => {
    const id = randomUUID();
    const { wrapped } = contactEvents(contactDecider.initialState(), [
      { type: 'CreateContact', contactId: id, email: 'j@example.com', source: 'api' },
      {
        type: 'GrantConsent',
        contactId: id,
        channel: 'email',
        at: '2025-09-30T10:00:00.000Z',
        ip: '192.0.2.7',
      },
      { type: 'RevokeConsent', contactId: id, channel: 'whatsapp', at: '2025-09-30T11:00:00.000Z' },
      {
        type: 'LinkExternalMapping',
        contactId: id,
        provider: 'hubspot',
        externalId: '12345',
        url: 'https://app.hubspot.com/contacts/12345',
        syncDirection: 'bidirectional',
        syncedAt: '2025-09-30T10:00:00.000Z',
      },
      {
        type: 'LinkExternalMapping',
        contactId: id,
        provider: 'gohighlevel',
        externalId: 'abc-xyz',
        syncDirection: 'push_only',
        syncedAt: '2025-09-30T10:00:00.000Z',
      },
    ]);
    const [contact] = foldEvents(empty, wrapped).contacts;
    expect(contact.consent).toEqual({
      email: { granted: true, updated_at: '2025-09-30T10:00:00.000Z', ip: '192.0.2.7' },
      whatsapp: { granted: false, updated_at: '2025-09-30T11:00:00.000Z' },
    });
    expect(contact.external_mappings).toEqual([
      {
        provider: 'hubspot',
        id: '12345',
        url: 'https://app.hubspot.com/contacts/12345',
        synced_at: '2025-09-30T10:00:00.000Z',
        sync_direction: 'bidirectional',
      },
      {
        provider: 'gohighlevel',
        id: 'abc-xyz',
        synced_at: '2025-09-30T10:00:00.000Z',
        sync_direction: 'push_only',
      },
    ]);
  });

  it('reads events whose personal fields were shredded, then erases to the same rows as live', () => {
    const id = randomUUID();
    const { wrapped } = contactEvents(contactDecider.initialState(), [
      {
        type: 'CreateContact',
        contactId: id,
        email: 'e@example.com',
        firstName: 'Eve',
        source: 'api',
      },
      {
        type: 'GrantConsent',
        contactId: id,
        channel: 'email',
        at: '2025-01-01T00:00:00.000Z',
        ip: '192.0.2.9',
      },
      {
        type: 'RecordActivity',
        contactId: id,
        activityId: randomUUID(),
        activityType: 'form_submitted',
        activityData: { email: 'e@example.com' },
        source: 'api',
      },
      { type: 'EraseContact', contactId: id },
    ]);
    // What a decrypt() with the key gone hands over: personal fields null.
    const shredded = wrapped.map((e) => {
      if (e.kind !== 'contact') return e;
      const data = { ...e.event.data } as Record<string, unknown>;
      for (const field of [
        'email',
        'firstName',
        'lastName',
        'phone',
        'avatarUrl',
        'ip',
        'activityData',
      ])
        if (field in data) data[field] = null;
      return { ...e, event: { ...e.event, data } as ContactEvent };
    });
    // Shredded before the erasure arrives (a rebuild page boundary): still a valid row.
    const early = foldEvents(empty, shredded.slice(0, 3));
    expect(early.contacts[0].email).toBe(erasedEmail(id));
    expect(early.activities[0].activity_data).toEqual({});

    const live = foldEvents(empty, wrapped);
    const rebuilt = foldEvents(empty, shredded);
    expect(rebuilt).toEqual(live);
    expect(live.contacts[0]).toMatchObject({
      email: erasedEmail(id),
      first_name: null,
      status: 'deleted',
      consent: { email: { granted: true, updated_at: '2025-01-01T00:00:00.000Z' } },
    });
    expect(live.erasedContactIds).toEqual([id]);
  });

  it('gives the same tables whatever the batch size', () => {
    const events = history();
    const whole = new MemoryTables();
    whole.apply(events);
    const expected = whole.snapshot();
    expect(expected.contacts.map((c) => c.email).sort()).toEqual(
      ['b@example.com', erasedEmail(expected.contacts.find((c) => c.erased_at)!.id)].sort(),
    );
    expect(expected.tags.map((t) => t.slug)).toEqual(['one']);
    expect(expected.contactTags.map((t) => t.applied_by)).toEqual(['user']);
    expect(
      expected.properties.map((p) => [p.property_value, p.source, p.last_synced_at !== null]),
    ).toEqual([['Z', 'manual', true]]);

    for (let size = 1; size < events.length; size++) {
      const tables = new MemoryTables();
      for (let i = 0; i < events.length; i += size) tables.apply(events.slice(i, i + size));
      expect({ size, tables: tables.snapshot() }).toEqual({ size, tables: expected });
    }
  });
});
