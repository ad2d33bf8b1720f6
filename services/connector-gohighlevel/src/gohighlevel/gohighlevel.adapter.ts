// The GoHighLevel adapter: one contacts upsert per contact (POST
// /contacts/upsert with the integration's locationId; GoHighLevel matches by
// email or phone per the location's duplicate settings), tags inside the
// upsert (names from tags.crm_tag_mappings {gohighlevel: {type: tag, id:
// <name>}}, else the tag's slug) and removed ones by DELETE
// /contacts/{id}/tags, a contact whose email changed here updated by its id
// (PUT /contacts/{id}), activities as notes, erasure by DELETE /contacts/{id}.
import {
  GOHIGHLEVEL,
  noteBody,
  parseRetryAfter,
  type CallFailure,
  type ContactPush,
  type ContactPushResult,
  type CrmAdapter,
  type CrmTag,
} from '@engagement/connector-kit';
import { GhlClient, GhlHttpError } from './gohighlevel.client';

/** Our field → GoHighLevel contact field; targets outside GHL_STANDARD_FIELDS become custom fields. */
export const GHL_DEFAULT_FIELDS: Record<string, string> = {
  email: 'email',
  first_name: 'firstName',
  last_name: 'lastName',
  phone: 'phone',
  company: 'companyName',
  website: 'website',
  city: 'city',
  state: 'state',
  country: 'country',
  address: 'address1',
  zip: 'postalCode',
};

const GHL_STANDARD_FIELDS = new Set([
  'email', 'firstName', 'lastName', 'name', 'phone', 'companyName', 'website', 'city', 'state', 'country',
  'address1', 'postalCode', 'timezone', 'source', 'dateOfBirth', 'gender',
]);
/** Spellings the seed's field_mappings use for GoHighLevel's standard fields. */
const ALIASES: Record<string, string> = { first_name: 'firstName', last_name: 'lastName', company_name: 'companyName' };

export function ghlTagName(tag: CrmTag): string {
  return tag.mappingType === 'tag' && tag.externalId ? tag.externalId : tag.slug;
}

/** The upsert body of one contact: standard fields, custom fields, tags. */
export function ghlContactBody(item: ContactPush, locationId: string): Record<string, unknown> {
  const body: Record<string, unknown> = { locationId };
  const customFields: Array<{ key: string; field_value: string }> = [];
  for (const [target, value] of Object.entries(item.fields)) {
    const field = ALIASES[target] ?? target;
    if (GHL_STANDARD_FIELDS.has(field)) body[field] = value;
    else customFields.push({ key: field, field_value: value });
  }
  if (customFields.length > 0) body.customFields = customFields;
  body.tags = item.tags.current.map(ghlTagName);
  return body;
}

export function describeGhlError(error: unknown): CallFailure | null {
  if (error instanceof GhlHttpError) {
    return { kind: 'http', status: error.status, retryAfterSeconds: parseRetryAfter(error.retryAfter), message: error.message };
  }
  if (!(error instanceof Error)) return null;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return { kind: 'timeout', message: error.message };
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return { kind: 'network', message: error.message };
  return null;
}

function locationOf(config: Record<string, unknown>): string {
  const id = config.location_id ?? config.locationId;
  if (typeof id !== 'string' || id === '') throw new Error('The GoHighLevel integration needs config.location_id');
  return id;
}

export function gohighlevelAdapter(baseUrl: string, fetchImpl?: typeof fetch): CrmAdapter {
  const ghl = new GhlClient(baseUrl, fetchImpl);
  return {
    facts: GOHIGHLEVEL,
    defaultFieldMappings: GHL_DEFAULT_FIELDS,
    lifecycleStages: {},
    describe: describeGhlError,

    async pushContacts(call, items, config) {
      const locationId = locationOf(config);
      const results: ContactPushResult[] = [];
      for (const item of items) {
        const body = ghlContactBody(item, locationId);
        let id: string;
        let created = false;
        if (item.emailChanged && item.externalId) {
          const { locationId: _omit, ...update } = body;
          void _omit;
          id = (await call((token) => ghl.updateContact(token, item.externalId!, update))).contact.id;
        } else {
          const answer = await call((token) => ghl.upsertContact(token, body));
          id = answer.contact.id;
          created = answer.new;
        }
        const removed = item.tags.removed.map(ghlTagName);
        if (removed.length > 0) await call((token) => ghl.removeTags(token, id, removed));
        results.push({
          contactId: item.contactId,
          ok: true,
          externalId: id,
          created,
          tags: { added: item.tags.added.map(ghlTagName), removed, skipped: [] },
          response: { id, new: created },
        });
      }
      return results;
    },

    async pushNote(call, note) {
      const answer = await call((token) => ghl.createNote(token, note.contactExternalId, noteBody(note)));
      return answer.note.id;
    },

    async deleteContact(call, target) {
      // GoHighLevel deletes by id only; a contact whose id never came back was never confirmed there.
      if (target.externalId) await call((token) => ghl.deleteContact(token, target.externalId!));
    },
  };
}
