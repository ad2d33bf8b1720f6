// What a provider gives the kit for changes coming from its CRM: how its
// webhooks are signed and shaped, and how to read its contacts (one record,
// and page by page for a resync). The provider's folder implements it
// (services/connector-<crm>/src/webhooks/); verifying, storing, deciding and
// applying are the kit's.
import type { Call } from '../sync/crm-adapter';
import type { SignatureVerdict } from './webhook-signatures';

/** One change the CRM reports, in the CRM's field names. */
export interface InboundChange {
  /** Unique per change at the provider: a redelivery carries the same key (dedup). */
  dedupKey: string;
  /** The CRM's record id. */
  externalId: string;
  kind: 'upsert' | 'delete' | 'merge';
  /** CRM field → value ('' or null clears); only what the change carries; null: read the record. */
  fields: Record<string, string | null> | null;
  /** The record's whole tag set (GoHighLevel), or null when the change says nothing of tags. */
  tags: string[] | null;
  /** When the change happened at the CRM (ISO 8601): the timestamp the conflict policy compares. */
  occurredAt: string;
  /** What the provider called it (contact.propertyChange, ContactUpdate, ...). */
  label: string;
  /** merge: the records merged into externalId. */
  mergedIds?: string[];
}

/** A webhook request as it arrived: the raw bytes, before any parsing. */
export interface RawWebhook {
  method: string;
  /** The full URI the provider posted to (what HubSpot signs). */
  uri: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

/** Whatever the integration and the environment configure for verifying. */
export interface WebhookKeys {
  /** HubSpot: the app's client secret. */
  secret: string | null;
  /** GoHighLevel: HighLevel's Ed25519 public key (PEM). */
  publicKeyPem: string | null;
  /** GoHighLevel: the legacy RSA public key; X-WH-Signature is accepted only when this is set. */
  legacyPublicKeyPem: string | null;
}

/** A CRM record read through the API (creation webhooks without values, resyncs). */
export interface CrmRecord {
  externalId: string;
  fields: Record<string, string | null>;
  tags: string[] | null;
  /** The record's last modification at the CRM (ISO 8601). */
  updatedAt: string;
}

export interface CrmPage {
  records: CrmRecord[];
  /** The cursor of the next page; null after the last one. */
  next: string | null;
}

export interface InboundAdapter {
  verify(request: RawWebhook, keys: WebhookKeys, nowMs: number): SignatureVerdict;
  /** The changes of a verified body; a string says why the body is not the provider's shape. */
  parse(body: unknown, nowMs: number): InboundChange[] | string;
  /** The record now (with at least the CRM `fields` asked for), or null when the CRM has no such (live) record. */
  readContact(call: Call, externalId: string, config: Record<string, unknown>, fields: string[]): Promise<CrmRecord | null>;
  /** One page of the CRM's contacts (its documented pagination), modified at or after `since` when given. */
  listContacts(call: Call, cursor: string | null, since: string | null, config: Record<string, unknown>, fields: string[]): Promise<CrmPage>;
}
