// GoHighLevel's side of inbound changes: X-GHL-Signature (Ed25519 over the
// raw body, HighLevel's public key from the integration's config
// `webhook_public_key` or CONNECTOR_GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY), the
// legacy X-WH-Signature (RSA-SHA256) only where its key is configured, the
// body's `timestamp` within 5 minutes, and `webhookId` as the key of a
// delivery (retries and duplicates repeat it). Contact events are flat
// objects carrying the whole record (ContactCreate, ContactUpdate,
// ContactTagUpdate, ContactDndUpdate; ContactDelete), so a field missing
// from one is empty there. Contacts are read by id, and paged for a resync
// by POST /contacts/search with searchAfter (dateUpdated range when
// incremental).
import {
  freshTimestamp,
  verifyGhlSignature,
  type CrmRecord,
  type InboundAdapter,
  type InboundChange,
} from '@engagement/connector-kit';
import { GhlClient, GhlHttpError } from '../gohighlevel/gohighlevel.client';

const CONTACT_EVENTS = new Set(['ContactCreate', 'ContactUpdate', 'ContactDelete', 'ContactTagUpdate', 'ContactDndUpdate']);
/** The record's standard fields, as the webhooks and the API name them. */
const STANDARD_FIELDS = [
  'email', 'firstName', 'lastName', 'phone', 'companyName', 'website', 'city', 'state', 'country', 'address1', 'postalCode',
  'timezone', 'source', 'dateOfBirth', 'gender',
];
const PAGE_SIZE = 100;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Standard fields (missing = empty) and custom fields (by their id) of a whole record. */
export function ghlFields(record: Record<string, unknown>): Record<string, string | null> {
  const fields: Record<string, string | null> = {};
  for (const name of STANDARD_FIELDS) {
    const value = record[name];
    fields[name] = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
  }
  if (Array.isArray(record.customFields)) {
    for (const custom of record.customFields) {
      if (isObject(custom) && typeof custom.id === 'string') {
        const value = custom.value ?? custom.field_value;
        fields[custom.id] = value === undefined || value === null ? null : String(value);
      }
    }
  }
  return fields;
}

function tagsOf(record: Record<string, unknown>): string[] {
  return Array.isArray(record.tags) ? record.tags.filter((t): t is string => typeof t === 'string') : [];
}

export function parseGhlWebhook(body: unknown): InboundChange[] | string {
  if (!isObject(body)) return 'a GoHighLevel webhook body is a JSON object';
  const { type, id, webhookId, timestamp } = body;
  if (typeof type !== 'string') return 'the body needs a type';
  if (typeof webhookId !== 'string' || typeof timestamp !== 'string') return 'the body needs webhookId and timestamp';
  if (!CONTACT_EVENTS.has(type)) return [];
  if (typeof id !== 'string' || id === '') return 'a contact event needs the contact id';
  const base = { dedupKey: `gohighlevel:${webhookId}`, externalId: id, occurredAt: new Date(Date.parse(timestamp)).toISOString(), label: type };
  if (type === 'ContactDelete') return [{ ...base, kind: 'delete', fields: null, tags: null }];
  return [{ ...base, kind: 'upsert', fields: ghlFields(body), tags: tagsOf(body) }];
}

class GhlReadClient extends GhlClient {
  getContact(token: string, id: string) {
    return this.request<{ contact: Record<string, unknown> }>(token, 'GET', `/contacts/${encodeURIComponent(id)}`);
  }

  search(token: string, body: Record<string, unknown>) {
    return this.request<{ contacts: Array<Record<string, unknown>>; total: number }>(token, 'POST', '/contacts/search', body);
  }
}

function recordOf(contact: Record<string, unknown>): CrmRecord {
  const updated = typeof contact.dateUpdated === 'string' ? contact.dateUpdated : typeof contact.dateAdded === 'string' ? contact.dateAdded : new Date(0).toISOString();
  return { externalId: String(contact.id), fields: ghlFields(contact), tags: tagsOf(contact), updatedAt: new Date(Date.parse(updated)).toISOString() };
}

function locationOf(config: Record<string, unknown>): string {
  const id = config.location_id ?? config.locationId;
  if (typeof id !== 'string' || id === '') throw new Error('The GoHighLevel integration needs config.location_id');
  return id;
}

export function gohighlevelInbound(baseUrl: string, fetchImpl?: typeof fetch): InboundAdapter {
  const ghl = new GhlReadClient(baseUrl, fetchImpl);
  return {
    verify(request, keys, nowMs) {
      const ed = request.headers['x-ghl-signature'];
      const legacy = request.headers['x-wh-signature'];
      let verdict: 'valid' | 'invalid' = 'invalid';
      if (ed !== undefined && keys.publicKeyPem) verdict = verifyGhlSignature({ publicKeyPem: keys.publicKeyPem, body: request.body, signature: ed, algorithm: 'ed25519' }) === 'valid' ? 'valid' : 'invalid';
      else if (legacy !== undefined && keys.legacyPublicKeyPem)
        verdict = verifyGhlSignature({ publicKeyPem: keys.legacyPublicKeyPem, body: request.body, signature: legacy, algorithm: 'rsa-sha256' }) === 'valid' ? 'valid' : 'invalid';
      if (verdict !== 'valid') return 'invalid';
      // The timestamp is inside the signed bytes: read only after the signature holds.
      try {
        const parsed = JSON.parse(request.body.toString('utf8')) as { timestamp?: unknown };
        return freshTimestamp(parsed.timestamp, nowMs) ? 'valid' : 'stale';
      } catch {
        return 'valid'; // not JSON: the parse step answers 400
      }
    },

    parse: (body) => parseGhlWebhook(body),

    async readContact(call, externalId) {
      return call(async (token) => {
        try {
          return recordOf((await ghl.getContact(token, externalId)).contact);
        } catch (error) {
          if (error instanceof GhlHttpError && (error.status === 404 || error.status === 400)) return null;
          throw error;
        }
      });
    },

    async listContacts(call, cursor, since, config) {
      const body: Record<string, unknown> = {
        locationId: locationOf(config),
        pageLimit: PAGE_SIZE,
        filters: since === null ? [] : [{ field: 'dateUpdated', operator: 'range', value: { gte: since } }],
      };
      if (cursor !== null) body.searchAfter = JSON.parse(cursor) as unknown;
      const page = await call((token) => ghl.search(token, body));
      const last = page.contacts.at(-1);
      return {
        records: page.contacts.map(recordOf),
        next: page.contacts.length === PAGE_SIZE && last ? JSON.stringify(last.searchAfter) : null,
      };
    },
  };
}
