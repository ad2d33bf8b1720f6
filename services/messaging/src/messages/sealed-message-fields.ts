// What messaging records about a person in its own events is sealed with
// that person's data key (crypto-shredding, as contacts does): the rendered
// content of MessageRequested and the address of MessageSent. Events are
// never rewritten, so without this an erased contact's address and the
// words sent to it would stay readable in the event store and on the topic.
//
// The runtime's store (SealingEventStore of @engagement/personal-data) seals
// them on append and opens them on read, for the deciders and the
// dispatcher; the read-model projection, which reads the stored events,
// opens them with openMessageFields. Once the contact is erased they open as null.
import type { RecordedEvent } from '@engagement/event-store';
import { openSealedFields, type Sealer } from '@engagement/personal-data';

/** Which fields of which message events hold personal data. */
export const SEALED_MESSAGE_FIELDS: Record<string, readonly string[]> = {
  MessageRequested: ['subject', 'bodyHtml', 'bodyText'],
  MessageSent: ['recipientEmail', 'recipientPhone', 'subject'],
};

export function sealedMessageFieldsOf(type: string): readonly string[] {
  return SEALED_MESSAGE_FIELDS[type] ?? [];
}

/** The event with its sealed fields in clear, or null where the contact was erased. */
export function openMessageFields<E extends RecordedEvent>(
  sealer: Sealer | null,
  event: E,
): Promise<E> {
  return openSealedFields(sealer, sealedMessageFieldsOf, event);
}
