// The emulated agency's contacts and notes, in memory, per location.
// Duplicates follow the location's "Allow Duplicate Contact" setting: off by
// default, and then a contact is found by email first, then by phone (the
// order is a setting too). Every change is reported to `onChange`, which
// turns it into webhooks.
import { randomBytes } from 'node:crypto';

export interface Contact {
  id: string;
  locationId: string;
  fields: Record<string, unknown>;
  tags: string[];
  dateAdded: string;
  dateUpdated: string;
}

export interface Note {
  id: string;
  contactId: string;
  body: string;
  userId: string | null;
  dateAdded: string;
}

export type ContactChange =
  | { type: 'ContactCreate' | 'ContactUpdate' | 'ContactTagUpdate' | 'ContactDndUpdate'; contact: Contact }
  | { type: 'ContactDelete'; contact: Contact };

export interface DuplicateSettings {
  allowDuplicates: boolean;
  matchOrder: Array<'email' | 'phone'>;
}

const DND_FIELDS = new Set(['dnd', 'dndSettings', 'inboundDndSettings']);

export function ghlId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(20)].map((b) => alphabet[b % alphabet.length]).join('');
}

export class Store {
  contacts = new Map<string, Contact>();
  notes = new Map<string, Note>();
  duplicates: DuplicateSettings = { allowDuplicates: false, matchOrder: ['email', 'phone'] };

  constructor(private readonly onChange: (change: ContactChange) => void) {}

  reset(): void {
    this.contacts.clear();
    this.notes.clear();
    this.duplicates = { allowDuplicates: false, matchOrder: ['email', 'phone'] };
  }

  get(locationId: string, id: string): Contact | undefined {
    const c = this.contacts.get(id);
    return c && c.locationId === locationId ? c : undefined;
  }

  inLocation(locationId: string): Contact[] {
    return [...this.contacts.values()]
      .filter((c) => c.locationId === locationId)
      .sort((a, b) => a.dateAdded.localeCompare(b.dateAdded) || a.id.localeCompare(b.id));
  }

  /** The existing contact an email/phone pair matches, in the location's match order. */
  findDuplicate(locationId: string, email: unknown, phone: unknown): { contact: Contact; field: 'email' | 'phone' } | undefined {
    for (const field of this.duplicates.matchOrder) {
      const value = field === 'email' ? email : phone;
      if (typeof value !== 'string' || value === '') continue;
      const contact = this.inLocation(locationId).find((c) => c.fields[field] === value);
      if (contact) return { contact, field };
    }
    return undefined;
  }

  create(locationId: string, fields: Record<string, unknown>, now: number): Contact {
    const iso = new Date(now).toISOString();
    const { tags, ...rest } = fields;
    const contact: Contact = {
      id: ghlId(),
      locationId,
      fields: rest,
      tags: (tags as string[] | undefined) ?? [],
      dateAdded: iso,
      dateUpdated: iso,
    };
    this.contacts.set(contact.id, contact);
    this.onChange({ type: 'ContactCreate', contact });
    return contact;
  }

  /** Writes the given fields (tags replace the contact's tags); true when something changed. */
  update(contact: Contact, fields: Record<string, unknown>, now: number): boolean {
    const { tags, ...rest } = fields;
    let changed = false;
    let dndChanged = false;
    for (const [k, v] of Object.entries(rest)) {
      if (JSON.stringify(contact.fields[k]) === JSON.stringify(v)) continue;
      contact.fields[k] = v;
      if (DND_FIELDS.has(k)) dndChanged = true;
      else changed = true;
    }
    let tagsChanged = false;
    if (tags !== undefined && JSON.stringify([...(tags as string[])].sort()) !== JSON.stringify([...contact.tags].sort())) {
      contact.tags = tags as string[];
      tagsChanged = true;
    }
    if (!changed && !tagsChanged && !dndChanged) return false;
    contact.dateUpdated = new Date(now).toISOString();
    if (changed) this.onChange({ type: 'ContactUpdate', contact });
    if (dndChanged) this.onChange({ type: 'ContactDndUpdate', contact });
    if (tagsChanged) this.onChange({ type: 'ContactTagUpdate', contact });
    return true;
  }

  addTags(contact: Contact, tags: string[], now: number): void {
    const next = [...new Set([...contact.tags, ...tags])];
    if (next.length === contact.tags.length) return;
    contact.tags = next;
    contact.dateUpdated = new Date(now).toISOString();
    this.onChange({ type: 'ContactTagUpdate', contact });
  }

  removeTags(contact: Contact, tags: string[], now: number): void {
    const next = contact.tags.filter((t) => !tags.includes(t));
    if (next.length === contact.tags.length) return;
    contact.tags = next;
    contact.dateUpdated = new Date(now).toISOString();
    this.onChange({ type: 'ContactTagUpdate', contact });
  }

  delete(contact: Contact): void {
    this.contacts.delete(contact.id);
    for (const [id, n] of this.notes) if (n.contactId === contact.id) this.notes.delete(id);
    this.onChange({ type: 'ContactDelete', contact });
  }

  addNote(contact: Contact, body: string, userId: string | null, now: number): Note {
    const note: Note = { id: ghlId(), contactId: contact.id, body, userId, dateAdded: new Date(now).toISOString() };
    this.notes.set(note.id, note);
    return note;
  }
}

export function contactJson(c: Contact) {
  const f = c.fields as Record<string, string | undefined>;
  const first = f.firstName ?? '';
  const last = f.lastName ?? '';
  const full = f.name ?? [first, last].filter(Boolean).join(' ');
  return {
    id: c.id,
    locationId: c.locationId,
    ...c.fields,
    contactName: full || undefined,
    firstNameLowerCase: first ? first.toLowerCase() : undefined,
    lastNameLowerCase: last ? last.toLowerCase() : undefined,
    fullNameLowerCase: full ? full.toLowerCase() : undefined,
    emailLowerCase: f.email,
    type: 'lead',
    tags: c.tags,
    customFields: (c.fields.customFields as unknown[] | undefined) ?? [],
    dateAdded: c.dateAdded,
    dateUpdated: c.dateUpdated,
  };
}
