// The HubSpot adapter: contacts by batch upsert keyed on email (≤ 100 inputs
// a call, the documented crm/v3/objects/contacts/batch/upsert), a contact
// whose email changed here updated by its HubSpot id (so it stays one
// record), tags as list memberships (tags.crm_tag_mappings: {hubspot: {type:
// list, id}}), activities as notes associated to the contact (type 202),
// erasure by GDPR delete. Through the official @hubspot/api-client, pointed
// at HUBSPOT_API_BASE (basePath), with its own retries and limiter off: the
// kit's bucket and retry policy do that, once, for every call.
import { Client } from '@hubspot/api-client';
import {
  HUBSPOT,
  noteBody,
  parseRetryAfter,
  type CallFailure,
  type ContactPush,
  type ContactPushResult,
  type CrmAdapter,
} from '@engagement/connector-kit';

/** Our field → HubSpot's default contact property (fields HubSpot does not have are skipped). */
export const HUBSPOT_DEFAULT_FIELDS: Record<string, string> = {
  email: 'email',
  first_name: 'firstname',
  last_name: 'lastname',
  phone: 'phone',
  lifecycle_stage: 'lifecyclestage',
  company: 'company',
  job_title: 'jobtitle',
  website: 'website',
  city: 'city',
  state: 'state',
  country: 'country',
  zip: 'zip',
  address: 'address',
};

/** Our lifecycle stages → HubSpot's lifecyclestage values. */
export const HUBSPOT_LIFECYCLE_STAGES: Record<string, string> = {
  subscriber: 'subscriber',
  lead: 'lead',
  mql: 'marketingqualifiedlead',
  sql: 'salesqualifiedlead',
  opportunity: 'opportunity',
  customer: 'customer',
  evangelist: 'evangelist',
  unqualified: 'other',
};

const NOTE_TO_CONTACT = 202;
const TIMEOUT_MS = 30_000;

interface HubSpotApiError {
  code: number;
  headers?: Record<string, string>;
  body?: unknown;
  message: string;
}

function isApiException(error: unknown): error is HubSpotApiError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number' && 'body' in error;
}

export function describeHubSpotError(error: unknown): CallFailure | null {
  if (isApiException(error)) {
    const headers = error.headers ?? {};
    const category = (error.body as { category?: string; message?: string } | undefined) ?? {};
    return {
      kind: 'http',
      status: error.code,
      retryAfterSeconds: parseRetryAfter(headers['retry-after'] ?? headers['Retry-After']),
      // HubSpot's category and message, which name properties, never values we sent.
      message: [category.category, category.message].filter(Boolean).join(': ').slice(0, 500) || `HTTP ${error.code}`,
    };
  }
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  if (error.name === 'AbortError' || error.name === 'TimeoutError' || code === 'ETIMEDOUT') return { kind: 'timeout', message: error.message };
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET'].includes(code ?? '') || error.name === 'FetchError' || /fetch failed|socket hang up/i.test(error.message))
    return { kind: 'network', message: error.message };
  return null;
}

export function hubspotAdapter(basePath: string): CrmAdapter {
  // One client per access token (tokens rotate on refresh): the SDK keeps the token in its config.
  let cached: { token: string; client: Client } | null = null;
  const client = (token: string) => {
    if (cached?.token !== token) {
      cached = { token, client: new Client({ accessToken: token, basePath, numberOfApiCallRetries: 0 }) };
    }
    return cached.client;
  };

  return {
    facts: HUBSPOT,
    defaultFieldMappings: HUBSPOT_DEFAULT_FIELDS,
    lifecycleStages: HUBSPOT_LIFECYCLE_STAGES,
    describe: describeHubSpotError,

    async pushContacts(call, items) {
      const results: ContactPushResult[] = [];
      const byId = items.filter((i) => i.emailChanged && i.externalId !== null);
      const byEmail = items.filter((i) => !byId.includes(i));
      const records = new Map<string, { id: string; created: boolean }>();

      if (byEmail.length > 0) {
        const answer = await call((token) =>
          client(token).crm.contacts.batchApi.upsert({
            inputs: byEmail.map((i) => ({ id: i.snapshot.email, idProperty: 'email', properties: i.fields })),
          }),
        );
        for (const r of answer.results as Array<{ id: string; _new?: boolean; _new_?: boolean; properties: Record<string, string | null> }>) {
          const email = (r.properties.email ?? '').toLowerCase();
          records.set(email, { id: r.id, created: Boolean((r as { _new?: boolean })._new ?? (r as unknown as { new?: boolean }).new) });
        }
        const errors = (answer as { errors?: Array<{ message: string; context?: { ids?: string[] } }> }).errors ?? [];
        for (const e of errors) {
          for (const id of e.context?.ids ?? []) {
            const item = byEmail.find((i) => i.snapshot.email.toLowerCase() === id.toLowerCase());
            if (item) {
              results.push({
                contactId: item.contactId,
                ok: false,
                failure: { kind: 'http', status: 400, retryAfterSeconds: null, message: e.message.slice(0, 500) },
                errorCode: 'VALIDATION_ERROR',
                errorMessage: e.message.slice(0, 500),
              });
            }
          }
        }
      }
      for (const item of byId) {
        const answer = await call((token) =>
          client(token).crm.contacts.basicApi.update(item.externalId!, { properties: item.fields }),
        );
        records.set(item.snapshot.email.toLowerCase(), { id: answer.id, created: false });
      }

      // Tags → list memberships, one call per list for the whole batch.
      const adds = new Map<string, string[]>();
      const removes = new Map<string, string[]>();
      for (const item of items) {
        const record = records.get(item.snapshot.email.toLowerCase());
        if (!record) continue;
        for (const tag of item.tags.added) if (tag.mappingType === 'list' && tag.externalId) adds.set(tag.externalId, [...(adds.get(tag.externalId) ?? []), record.id]);
        for (const tag of item.tags.removed) if (tag.mappingType === 'list' && tag.externalId) removes.set(tag.externalId, [...(removes.get(tag.externalId) ?? []), record.id]);
      }
      for (const [listId, ids] of adds) await call((token) => client(token).crm.lists.membershipsApi.add(listId, ids));
      for (const [listId, ids] of removes) await call((token) => client(token).crm.lists.membershipsApi.remove(listId, ids));

      for (const item of items) {
        const record = records.get(item.snapshot.email.toLowerCase());
        if (!record) {
          if (!results.some((r) => r.contactId === item.contactId)) {
            results.push({
              contactId: item.contactId,
              ok: false,
              failure: { kind: 'http', status: 502, retryAfterSeconds: null, message: 'HubSpot returned no record for this input' },
              errorCode: 'MISSING_RESULT',
              errorMessage: 'HubSpot returned no record for this input',
            });
          }
          continue;
        }
        const isList = (t: { mappingType: string | null; externalId: string | null }) => t.mappingType === 'list' && t.externalId !== null;
        results.push({
          contactId: item.contactId,
          ok: true,
          externalId: record.id,
          created: record.created,
          tags: {
            added: item.tags.added.filter(isList).map((t) => t.slug),
            removed: item.tags.removed.filter(isList).map((t) => t.slug),
            skipped: [...item.tags.added, ...item.tags.removed].filter((t) => !isList(t)).map((t) => t.slug),
          },
          response: { id: record.id, new: record.created },
        });
      }
      return results;
    },

    async pushNote(call, note) {
      const answer = await call((token) =>
        client(token).crm.objects.notes.basicApi.create({
          properties: { hs_timestamp: note.occurredAt, hs_note_body: noteBody(note) },
          associations: [
            {
              to: { id: note.contactExternalId },
              types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: NOTE_TO_CONTACT }],
            },
          ],
        }),
      );
      return answer.id;
    },

    async deleteContact(call, target) {
      if (target.externalId) {
        await call((token) => client(token).crm.contacts.basicApi.purge({ objectId: target.externalId! }));
      } else if (target.email) {
        await call((token) => client(token).crm.contacts.basicApi.purge({ objectId: target.email!, idProperty: 'email' }));
      }
    },
  };
}

export const HUBSPOT_TIMEOUT_MS = TIMEOUT_MS;
export type { ContactPush };
