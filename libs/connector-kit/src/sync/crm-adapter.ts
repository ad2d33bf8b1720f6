// What a provider adapter does for the kit: push contacts (with their tags),
// create notes, delete contacts, and say what a failed call was. One folder
// per provider in its service implements it over the provider's SDK or a
// thin client; everything else (batching, rate limits, retries, logs,
// write-back) is the kit's.
import type { JsonObject } from '@engagement/event-store';
import type { ContactSnapshot } from '../mapping/field-mapping';
import type { ProviderFacts } from '../providers/provider-facts';
import type { CallFailure } from '../retry/retry-policy';

export interface CrmTag {
  tagId: string;
  slug: string;
  /** list (HubSpot list id) or tag (GoHighLevel tag name). */
  mappingType: string | null;
  externalId: string | null;
}

export interface ContactPush {
  contactId: string;
  /** Known when an earlier push created the record: update it in place (an email change stays one record). */
  externalId: string | null;
  /** The email changed since the last push: a CRM keyed on email must update by externalId. */
  emailChanged: boolean;
  /** CRM field → value, after mapping. */
  fields: Record<string, string>;
  /** Our fields and properties that have no CRM field (skipped, logged). */
  skippedFields: string[];
  snapshot: ContactSnapshot;
  tags: { current: CrmTag[]; added: CrmTag[]; removed: CrmTag[] };
}

export type ContactPushResult =
  | {
      contactId: string;
      ok: true;
      externalId: string;
      created: boolean;
      /** Tags applied (by slug), and those the CRM has no mapping for. */
      tags: { added: string[]; removed: string[]; skipped: string[] };
      response: JsonObject;
    }
  | { contactId: string; ok: false; failure: CallFailure; errorCode: string; errorMessage: string };

export interface NotePush {
  activityId: string;
  contactId: string;
  contactExternalId: string;
  activityType: string;
  activityData: Record<string, unknown>;
  occurredAt: string;
}

/** A call helper the kit gives adapters: rate-limited, authenticated, retried. */
export type Call = <T>(work: (accessToken: string) => Promise<T>) => Promise<T>;

export interface CrmAdapter {
  facts: ProviderFacts;
  /** Provider defaults for mapping (our field → CRM field) and stage names. */
  defaultFieldMappings: Record<string, string>;
  lifecycleStages: Record<string, string>;
  /** Pushes ≤ facts.maxBatchSize contacts; per-item results (a refused item does not fail the others). */
  pushContacts(call: Call, items: ContactPush[], config: Record<string, unknown>): Promise<ContactPushResult[]>;
  /** Creates a note on the contact's CRM record; resolves with the note's id. */
  pushNote(call: Call, note: NotePush, config: Record<string, unknown>): Promise<string>;
  /** Deletes (GDPR) the contact in the CRM, by id, or by email when the id never came back. */
  deleteContact(call: Call, target: { externalId: string | null; email: string | null }, config: Record<string, unknown>): Promise<void>;
  /** The failure an error stands for, or null when it is not a call failure. */
  describe(error: unknown): CallFailure | null;
}

/** A note's text from an activity: its type and its data, readable in the CRM. */
export function noteBody(note: Pick<NotePush, 'activityType' | 'activityData' | 'occurredAt'>): string {
  const lines = Object.entries(note.activityData).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [`${note.activityType} (${note.occurredAt})`, ...lines].join('\n').slice(0, 65_536);
}
