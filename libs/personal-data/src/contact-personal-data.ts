// How a service entitled to contacts' personal data (messaging, connectors)
// reads the personal fields of contacts events, which the contacts service
// encrypts per contact (crypto-shredding). It asks the contacts service for
// the contact's data keys (GET /contacts/:id/data-keys with its own service
// token, scope pii:read; the contacts service records every hand-out),
// keeps them briefly, and decrypts the fields the contracts mark personal.
//
// Once the contact is erased its keys are gone: decrypt() throws
// ContactErasedError, which consumers treat as "this person is erased" (drop
// what they hold, never retry), unlike a failure to reach the contacts
// service, which is an ordinary error to retry.
import type { KeyObject } from 'node:crypto';
import { isContactEventType, personalDataFieldsOf } from '@engagement/contracts';
import type { JsonValue } from '@engagement/event-store';
import { ServiceInstances, type ServiceIdentity } from '@engagement/service-auth';
import { decryptField, encryptField, parseEnvelope, secretKey } from './field-cipher';

const CONTACT_STREAM = /^contact-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The contact a stream belongs to, or null for any other stream. */
export function contactIdOfStream(streamId: string): string | null {
  const match = CONTACT_STREAM.exec(streamId);
  return match ? match[1]!.toLowerCase() : null;
}

export class ContactErasedError extends Error {
  constructor(readonly contactId: string) {
    super(`Contact ${contactId} was erased: its personal data can no longer be read`);
    this.name = 'ContactErasedError';
  }
}

/** What decrypt() needs of an event: a recorded event or one read from the contacts topic. */
export interface ContactEventLike {
  streamId: string;
  type: string;
  data: Record<string, unknown>;
}

export interface ContactPersonalDataOptions {
  /** The contacts service's base URL, or several instances' comma-separated (CONTACTS_URL). */
  contactsUrl: string;
  /** This service's identity; it must hold pii:read. */
  identity: ServiceIdentity;
  /** How long handed-out keys are kept; default 30 s (an erasure elsewhere is seen within it). */
  cacheTtlMs?: number;
  now?: () => number;
}

type Keys =
  { erased: true } | { erased: false; byId: Map<string, KeyObject>; currentKeyId: string };

export class ContactPersonalData {
  private readonly cache = new Map<string, { keys: Keys; expiresAt: number }>();
  private readonly loading = new Map<string, Promise<Keys>>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly contacts: ServiceInstances;

  constructor(private readonly options: ContactPersonalDataOptions) {
    this.contacts = new ServiceInstances(options.contactsUrl);
    this.ttlMs = options.cacheTtlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** The event with its personal fields in clear. Throws ContactErasedError once erased. */
  async decrypt<E extends ContactEventLike>(event: E): Promise<E> {
    const contactId = contactIdOfStream(event.streamId);
    if (contactId === null || !isContactEventType(event.type)) return event;
    const fields = personalDataFieldsOf(event.type).filter((field) =>
      parseEnvelope(event.data[field]),
    );
    if (fields.length === 0) return event;
    const keys = await this.keysOf(contactId);
    if (keys.erased) throw new ContactErasedError(contactId);
    const data = { ...event.data };
    for (const field of fields) {
      const envelope = parseEnvelope(data[field])!;
      const key = keys.byId.get(envelope.keyId);
      if (!key) throw new ContactErasedError(contactId);
      data[field] = decryptField(envelope, key, contactId);
    }
    return { ...event, data };
  }

  /**
   * The given fields of another service's data about the contact, encrypted
   * under the contact's current data key (the same envelope as contacts'
   * own events), so that the contact's erasure makes them unreadable there
   * too. Throws ContactErasedError once erased.
   */
  async sealFields<T extends Record<string, unknown>>(
    contactId: string,
    data: T,
    fields: readonly string[],
  ): Promise<T> {
    if (!fields.some((field) => isPresent(data[field]) && !parseEnvelope(data[field]))) return data;
    const keys = await this.keysOf(contactId);
    if (keys.erased) throw new ContactErasedError(contactId);
    const key = keys.byId.get(keys.currentKeyId)!;
    const sealed: Record<string, unknown> = { ...data };
    for (const field of fields) {
      const value = sealed[field];
      if (isPresent(value) && !parseEnvelope(value)) {
        sealed[field] = encryptField(value as JsonValue, keys.currentKeyId, key, contactId);
      }
    }
    return sealed as T;
  }

  /** The sealed fields in clear again. Throws ContactErasedError once erased. */
  async openFields<T extends Record<string, unknown>>(
    contactId: string,
    data: T,
    fields: readonly string[],
  ): Promise<T> {
    if (!fields.some((field) => parseEnvelope(data[field]))) return data;
    const keys = await this.keysOf(contactId);
    if (keys.erased) throw new ContactErasedError(contactId);
    const opened: Record<string, unknown> = { ...data };
    for (const field of fields) {
      const envelope = parseEnvelope(opened[field]);
      if (!envelope) continue;
      const key = keys.byId.get(envelope.keyId);
      if (!key) throw new ContactErasedError(contactId);
      opened[field] = decryptField(envelope, key, contactId);
    }
    return opened as T;
  }

  /** Drops what is kept of the contact (on ContactErased). */
  forget(contactId: string): void {
    this.cache.set(contactId, { keys: { erased: true }, expiresAt: Number.POSITIVE_INFINITY });
  }

  private async keysOf(contactId: string): Promise<Keys> {
    const cached = this.cache.get(contactId);
    if (cached && cached.expiresAt > this.now()) return cached.keys;
    const inFlight = this.loading.get(contactId);
    if (inFlight) return inFlight;
    const load = this.fetchKeys(contactId)
      .then((keys) => this.remember(contactId, keys))
      .finally(() => this.loading.delete(contactId));
    this.loading.set(contactId, load);
    return load;
  }

  /**
   * Fetches the keys of many contacts into the cache, PRELOAD_LIMIT per
   * request (POST /contacts/data-keys, each hand-out audited there as one by
   * one), so that what follows for them (a campaign page's decrypts and
   * seals) asks nothing more. Contacts kept already, or being fetched, are
   * skipped. A contacts service without that route leaves them to be asked
   * one by one.
   */
  async preload(contactIds: readonly string[]): Promise<void> {
    const now = this.now();
    const wanted = [...new Set(contactIds.map((id) => id.toLowerCase()))].filter((id) => {
      const cached = this.cache.get(id);
      return !(cached && cached.expiresAt > now) && !this.loading.has(id);
    });
    for (let i = 0; i < wanted.length; i += PRELOAD_LIMIT) {
      const found = await this.fetchMany(wanted.slice(i, i + PRELOAD_LIMIT));
      for (const [contactId, keys] of found) this.remember(contactId, keys);
    }
  }

  private remember(contactId: string, keys: Keys): Keys {
    // An erasure is forever; keys in clear are kept only briefly.
    const expiresAt = keys.erased ? Number.POSITIVE_INFINITY : this.now() + this.ttlMs;
    this.cache.set(contactId, { keys, expiresAt });
    return keys;
  }

  private async fetchMany(contactIds: string[]): Promise<Map<string, Keys>> {
    const response = await this.contacts.fetch('/contacts/data-keys', {
      method: 'POST',
      headers: {
        authorization: this.options.identity.authorization('contacts'),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ contactIds }),
    });
    if (response.status === 404 || response.status === 405) {
      await response.body?.cancel();
      return new Map();
    }
    if (!response.ok) {
      const body = await response.text();
      throw new Error(
        `contacts answered ${response.status} for ${contactIds.length} contacts' data keys: ${body.slice(0, 300)}`,
      );
    }
    const body = (await response.json()) as {
      items: {
        contactId: string;
        state: 'active' | 'erased' | 'none';
        keys?: Record<string, string>;
        currentKeyId?: string;
      }[];
    };
    const found = new Map<string, Keys>();
    for (const item of body.items) {
      // Erased, or never any personal data: no envelope of it can be read, as with 410 and 404.
      found.set(
        item.contactId.toLowerCase(),
        item.state === 'active' && item.keys
          ? keysOf(item.keys, item.currentKeyId)
          : { erased: true },
      );
    }
    return found;
  }

  private async fetchKeys(contactId: string): Promise<Keys> {
    const response = await this.contacts.fetch(`/contacts/${contactId}/data-keys`, {
      headers: { authorization: this.options.identity.authorization('contacts') },
    });
    // 410: the keys were destroyed; 404: the contact never had any, so no envelope can be read.
    if (response.status === 410 || response.status === 404) {
      await response.body?.cancel();
      return { erased: true };
    }
    if (!response.ok) {
      const body = await response.text();
      throw new Error(
        `contacts answered ${response.status} for the data keys of ${contactId}: ${body.slice(0, 300)}`,
      );
    }
    const body = (await response.json()) as { keys: Record<string, string>; currentKeyId?: string };
    return keysOf(body.keys, body.currentKeyId);
  }
}

/** Contacts per POST /contacts/data-keys (the contacts service takes up to 500). */
const PRELOAD_LIMIT = 500;

/** Keys as the contacts service hands them out (base64 by key id). */
function keysOf(raw: Record<string, string>, currentKeyId: string | undefined): Keys {
  const byId = new Map<string, KeyObject>();
  for (const [keyId, key] of Object.entries(raw)) {
    byId.set(keyId, secretKey(Buffer.from(key, 'base64'), true));
  }
  return { erased: false, byId, currentKeyId: currentKeyId ?? [...byId.keys()].sort().at(-1)! };
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}
