// The emulated portal's data, in memory: contacts with every property's
// history, notes with their contact associations, lists and their members.
// Every change to a contact is reported to `onChange`, which turns it into
// webhook events; who made it (the connector through the API, or a "CRM
// user" through the admin API) travels as the change source.

export interface ChangeSource {
  /** HubSpot's changeSource: INTEGRATION for API writes, CRM_UI for the admin API's "user" edits. */
  changeSource: 'INTEGRATION' | 'CRM_UI';
  /** HubSpot's sourceId: the app id for integrations, "userId:<id>" for users. */
  sourceId: string;
}

export interface PropertyVersion {
  value: string;
  timestamp: string;
  sourceType: string;
  sourceId: string;
}

export interface Contact {
  id: string;
  properties: Record<string, string>;
  history: Record<string, PropertyVersion[]>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export interface Note {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  contactIds: string[];
}

export interface List {
  listId: string;
  name: string;
  objectTypeId: string;
  processingType: 'MANUAL' | 'SNAPSHOT' | 'DYNAMIC';
  createdAt: string;
  updatedAt: string;
  members: Set<string>;
}

export type ContactChange =
  | { type: 'creation'; contact: Contact; source: ChangeSource; at: number }
  | { type: 'propertyChange'; contact: Contact; property: string; value: string; source: ChangeSource; at: number }
  | { type: 'deletion'; contactId: string; source: ChangeSource; at: number }
  | { type: 'privacyDeletion'; contactId: string; source: ChangeSource; at: number }
  | { type: 'merge'; primaryId: string; mergedId: string; moved: number; source: ChangeSource; at: number };

/** Properties the portal maintains itself; they change on every write and are not webhook-worthy. */
const SYSTEM_PROPERTIES = new Set(['hs_object_id', 'createdate', 'lastmodifieddate', 'hs_merged_object_ids']);

export class Store {
  contacts = new Map<string, Contact>();
  notes = new Map<string, Note>();
  lists = new Map<string, List>();
  /** email → contact id (live contacts only). */
  private byEmail = new Map<string, string>();
  /** Merged-away id → the id that absorbed it. */
  private mergedInto = new Map<string, string>();
  private nextContactId = 1001;
  private nextNoteId = 5001;
  private nextListId = 1;

  constructor(private readonly onChange: (change: ContactChange) => void) {}

  reset(): void {
    this.contacts.clear();
    this.notes.clear();
    this.lists.clear();
    this.byEmail.clear();
    this.mergedInto.clear();
    this.nextContactId = 1001;
    this.nextNoteId = 5001;
    this.nextListId = 1;
  }

  /** A live (not archived) contact by id, following merges. */
  contact(id: string): Contact | undefined {
    const c = this.contacts.get(this.mergedInto.get(id) ?? id);
    return c && !c.archived ? c : undefined;
  }

  /** By record id or by a unique property (email, or a custom unique one). */
  findBy(idProperty: string | null, value: string): Contact | undefined {
    if (!idProperty || idProperty === 'hs_object_id') return this.contact(value);
    if (idProperty === 'email') {
      const id = this.byEmail.get(value.trim().toLowerCase());
      return id ? this.contact(id) : undefined;
    }
    for (const c of this.contacts.values()) if (!c.archived && c.properties[idProperty] === value) return c;
    return undefined;
  }

  liveContacts(archived = false): Contact[] {
    return [...this.contacts.values()].filter((c) => c.archived === archived).sort((a, b) => Number(a.id) - Number(b.id));
  }

  createContact(values: Record<string, string>, source: ChangeSource, now: number): Contact {
    const id = String(this.nextContactId++);
    const iso = new Date(now).toISOString();
    const contact: Contact = { id, properties: {}, history: {}, createdAt: iso, updatedAt: iso, archived: false };
    this.setValue(contact, 'hs_object_id', id, source, iso);
    this.setValue(contact, 'createdate', iso, source, iso);
    this.setValue(contact, 'lastmodifieddate', iso, source, iso);
    for (const [k, v] of Object.entries(values)) if (v !== '') this.setValue(contact, k, v, source, iso);
    this.contacts.set(id, contact);
    if (contact.properties.email) this.byEmail.set(contact.properties.email, id);
    this.onChange({ type: 'creation', contact, source, at: now });
    for (const [k, v] of Object.entries(contact.properties))
      if (!SYSTEM_PROPERTIES.has(k)) this.onChange({ type: 'propertyChange', contact, property: k, value: v, source, at: now });
    return contact;
  }

  /** Writes the values that differ; returns the names of the properties that changed. */
  updateContact(contact: Contact, values: Record<string, string>, source: ChangeSource, now: number): string[] {
    const iso = new Date(now).toISOString();
    const changed: string[] = [];
    for (const [k, v] of Object.entries(values)) {
      if ((contact.properties[k] ?? '') === v) continue;
      if (k === 'email') {
        if (contact.properties.email) this.byEmail.delete(contact.properties.email);
        if (v) this.byEmail.set(v, contact.id);
      }
      this.setValue(contact, k, v, source, iso);
      changed.push(k);
    }
    if (changed.length === 0) return changed;
    this.setValue(contact, 'lastmodifieddate', iso, source, iso);
    contact.updatedAt = iso;
    for (const k of changed)
      this.onChange({ type: 'propertyChange', contact, property: k, value: contact.properties[k] ?? '', source, at: now });
    return changed;
  }

  archiveContact(contact: Contact, source: ChangeSource, now: number): void {
    contact.archived = true;
    contact.archivedAt = new Date(now).toISOString();
    if (contact.properties.email) this.byEmail.delete(contact.properties.email);
    for (const l of this.lists.values()) l.members.delete(contact.id);
    this.onChange({ type: 'deletion', contactId: contact.id, source, at: now });
  }

  /** Permanent deletion (GDPR): nothing of the contact stays, not even archived. */
  purgeContact(contact: Contact, source: ChangeSource, now: number): void {
    if (contact.properties.email) this.byEmail.delete(contact.properties.email);
    this.contacts.delete(contact.id);
    for (const l of this.lists.values()) l.members.delete(contact.id);
    for (const n of this.notes.values()) n.contactIds = n.contactIds.filter((id) => id !== contact.id);
    for (const [from, to] of this.mergedInto) if (to === contact.id) this.mergedInto.delete(from);
    this.onChange({ type: 'privacyDeletion', contactId: contact.id, source, at: now });
  }

  /**
   * Merges `merged` into `primary` as HubSpot does: the primary keeps its id
   * and values, takes the merged contact's values where it has none, and the
   * merged id then resolves to the primary.
   */
  mergeContacts(primary: Contact, merged: Contact, source: ChangeSource, now: number): void {
    const iso = new Date(now).toISOString();
    let moved = 0;
    for (const [k, v] of Object.entries(merged.properties)) {
      if (SYSTEM_PROPERTIES.has(k) || v === '' || primary.properties[k]) continue;
      if (k === 'email') continue;
      this.setValue(primary, k, v, source, iso);
      moved++;
    }
    const mergedIds = [primary.properties.hs_merged_object_ids, merged.id].filter(Boolean).join(';');
    this.setValue(primary, 'hs_merged_object_ids', mergedIds, source, iso);
    this.setValue(primary, 'lastmodifieddate', iso, source, iso);
    primary.updatedAt = iso;
    if (merged.properties.email) this.byEmail.delete(merged.properties.email);
    this.contacts.delete(merged.id);
    this.mergedInto.set(merged.id, primary.id);
    for (const [from, to] of this.mergedInto) if (to === merged.id) this.mergedInto.set(from, primary.id);
    for (const l of this.lists.values())
      if (l.members.delete(merged.id)) l.members.add(primary.id);
    for (const n of this.notes.values())
      n.contactIds = [...new Set(n.contactIds.map((id) => (id === merged.id ? primary.id : id)))];
    this.onChange({ type: 'merge', primaryId: primary.id, mergedId: merged.id, moved, source, at: now });
  }

  createNote(properties: Record<string, string>, contactIds: string[], now: number): Note {
    const iso = new Date(now).toISOString();
    const id = String(this.nextNoteId++);
    const note: Note = {
      id,
      properties: { ...properties, hs_object_id: id, hs_createdate: iso, hs_lastmodifieddate: iso },
      createdAt: iso,
      updatedAt: iso,
      contactIds,
    };
    this.notes.set(id, note);
    return note;
  }

  createList(name: string, objectTypeId: string, processingType: List['processingType'], now: number): List {
    const iso = new Date(now).toISOString();
    const list: List = {
      listId: String(this.nextListId++),
      name,
      objectTypeId,
      processingType,
      createdAt: iso,
      updatedAt: iso,
      members: new Set(),
    };
    this.lists.set(list.listId, list);
    return list;
  }

  private setValue(contact: Contact, name: string, value: string, source: ChangeSource, iso: string): void {
    contact.properties[name] = value;
    const versions = (contact.history[name] ??= []);
    versions.unshift({ value, timestamp: iso, sourceType: source.changeSource, sourceId: source.sourceId });
  }
}
