// HubSpot's side of inbound changes: webhook v3 signatures, the webhook
// body (a JSON array of events: contact.creation, contact.propertyChange
// with propertyName/propertyValue, contact.deletion, contact.privacyDeletion,
// contact.merge with primaryObjectId/mergedObjectIds), and reading contacts
// through the official client (GET by id, pages of `after` for a full
// resync, search on lastmodifieddate for an incremental one). HubSpot's
// eventId is not unique on its own: a change is keyed on the portal, event
// id, type, object, time and property.
import { Client } from '@hubspot/api-client';
import { dedupKeyOf, verifyHubSpotV3, type CrmRecord, type InboundAdapter, type InboundChange } from '@engagement/connector-kit';

const PAGE_SIZE = 100;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The changes of a HubSpot webhook body, or why it is not one. */
export function parseHubSpotWebhook(body: unknown): InboundChange[] | string {
  if (!Array.isArray(body)) return 'a HubSpot webhook body is a JSON array of events';
  if (body.length > 1000) return 'too many events in one webhook';
  const changes: InboundChange[] = [];
  for (const event of body) {
    if (!isObject(event)) return 'each event is an object';
    const { eventId, subscriptionType, objectId, occurredAt, portalId } = event;
    if (typeof eventId !== 'number' || typeof subscriptionType !== 'string' || typeof objectId !== 'number' || typeof occurredAt !== 'number') {
      return 'each event needs eventId, subscriptionType, objectId and occurredAt';
    }
    const base = {
      dedupKey: dedupKeyOf('hubspot', portalId as number, eventId, subscriptionType, objectId, occurredAt, event.propertyName as string),
      externalId: String(objectId),
      occurredAt: new Date(occurredAt).toISOString(),
      label: subscriptionType,
      tags: null,
    };
    switch (subscriptionType) {
      case 'contact.creation':
        changes.push({ ...base, kind: 'upsert', fields: null });
        break;
      case 'contact.propertyChange':
        if (typeof event.propertyName !== 'string') return 'contact.propertyChange needs propertyName';
        changes.push({ ...base, kind: 'upsert', fields: { [event.propertyName]: typeof event.propertyValue === 'string' ? event.propertyValue : null } });
        break;
      case 'contact.deletion':
      case 'contact.privacyDeletion':
        changes.push({ ...base, kind: 'delete', fields: null });
        break;
      case 'contact.merge': {
        const primary = event.primaryObjectId ?? event.newObjectId ?? objectId;
        const merged = Array.isArray(event.mergedObjectIds) ? event.mergedObjectIds.map(String) : [];
        changes.push({ ...base, externalId: String(primary), kind: 'merge', fields: null, mergedIds: merged });
        break;
      }
      default:
        break; // other objects and subscriptions: nothing for contacts
    }
  }
  return changes;
}

function recordOf(contact: { id: string; properties: Record<string, string | null>; updatedAt?: Date }): CrmRecord {
  const updated = contact.properties.lastmodifieddate ?? contact.updatedAt?.toISOString() ?? new Date(0).toISOString();
  return { externalId: contact.id, fields: { ...contact.properties }, tags: null, updatedAt: new Date(updated).toISOString() };
}

export function hubspotInbound(basePath: string): InboundAdapter {
  let cached: { token: string; client: Client } | null = null;
  const client = (token: string) => {
    if (cached?.token !== token) cached = { token, client: new Client({ accessToken: token, basePath, numberOfApiCallRetries: 0 }) };
    return cached.client;
  };
  const propertiesOf = (fields: string[]) => [...new Set([...fields, 'lastmodifieddate'])];
  return {
    verify(request, keys, nowMs) {
      if (!keys.secret) return 'invalid';
      return verifyHubSpotV3({
        secret: keys.secret,
        method: request.method,
        uri: request.uri,
        body: request.body,
        signature: request.headers['x-hubspot-signature-v3'],
        timestamp: request.headers['x-hubspot-request-timestamp'],
        nowMs,
      });
    },

    parse: (body) => parseHubSpotWebhook(body),

    async readContact(call, externalId, _config, fields) {
      return call(async (token) => {
        try {
          const contact = await client(token).crm.contacts.basicApi.getById(externalId, propertiesOf(fields));
          return recordOf(contact);
        } catch (error) {
          if ((error as { code?: number }).code === 404) return null;
          throw error;
        }
      });
    },

    async listContacts(call, cursor, since, _config, fields) {
      const properties = propertiesOf(fields);
      if (since === null) {
        const page = await call((token) => client(token).crm.contacts.basicApi.getPage(PAGE_SIZE, cursor ?? undefined, properties));
        return { records: page.results.map(recordOf), next: page.paging?.next?.after ?? null };
      }
      const page = await call((token) =>
        client(token).crm.contacts.searchApi.doSearch({
          filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE' as never, value: String(Date.parse(since)) }] }],
          sorts: ['hs_object_id'],
          properties,
          limit: PAGE_SIZE,
          after: cursor ?? undefined,
        } as never),
      );
      return { records: page.results.map(recordOf), next: page.paging?.next?.after ?? null };
    },
  };
}
