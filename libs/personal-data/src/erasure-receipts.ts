// Where an erasure has been applied. Every service that holds a contact's
// personal data, once it has removed it after ContactErased (and each
// connector, once the contact is deleted in its CRM), appends a receipt to
// the stream `erasure-<contactId>` of the platform's event store. The
// operators' report (`npm run gdpr -- erasure-status <contact-id>`) reads
// that stream: one place to look, written by each service about itself, with
// no service reading another's tables.
//
// A receipt's event id is derived from (contact, service, target), so a
// service that applies the same erasure twice (a redelivered event) leaves
// one receipt: the store takes the same event id once.
import { createHash } from 'node:crypto';
import type { EventStore, RecordedEvent } from '@engagement/event-store';

export const ERASURE_APPLIED = 'PersonalDataErasureApplied';

export interface ErasureReceipt {
  contactId: string;
  /** The service that applied it: contacts, events, messaging, connector-hubspot, … */
  service: string;
  /** What was erased beyond the service's own tables, e.g. `crm:hubspot`; null for the tables. */
  target: string | null;
  /** What was done, in a few words (no personal data). */
  detail: string;
  appliedAt: string;
}

export function erasureStreamId(contactId: string): string {
  return `erasure-${contactId}`;
}

/** A UUID (version 5 layout) from the name: the same receipt always gets the same id. */
function receiptId(contactId: string, service: string, target: string | null): string {
  const hash = createHash('sha1')
    .update(`erasure:${contactId}:${service}:${target ?? ''}`)
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function recordErasureApplied(
  store: EventStore,
  receipt: Omit<ErasureReceipt, 'appliedAt'> & { appliedAt?: Date },
  correlationId: string | null = null,
): Promise<void> {
  const appliedAt = (receipt.appliedAt ?? new Date()).toISOString();
  await store.appendToStream(
    erasureStreamId(receipt.contactId),
    [
      {
        id: receiptId(receipt.contactId, receipt.service, receipt.target),
        type: ERASURE_APPLIED,
        schemaVersion: 1,
        data: {
          contactId: receipt.contactId,
          service: receipt.service,
          target: receipt.target,
          detail: receipt.detail,
          appliedAt,
        },
        metadata: {
          correlationId: correlationId ?? receipt.contactId,
          causationId: null,
          traceparent: null,
          actor: `service:${receipt.service}`,
          occurredAt: appliedAt,
        },
      },
    ],
    { expectedRevision: 'any' },
  );
}

export async function erasureReceipts(
  store: EventStore,
  contactId: string,
): Promise<ErasureReceipt[]> {
  const events: RecordedEvent[] = await store.readStream(erasureStreamId(contactId));
  return events
    .filter((event) => event.type === ERASURE_APPLIED)
    .map((event) => event.data as unknown as ErasureReceipt);
}
