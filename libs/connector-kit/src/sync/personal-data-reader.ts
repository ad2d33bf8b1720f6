// How the connector reads contacts events whose personal fields are
// encrypted per contact (crypto-shredding in the contacts service).
// The platform's reader is the lead's `@engagement/personal-data`
// (ContactPersonalData.decrypt); the services hand it in. An event whose
// contact was erased reads as erased (ContactErasedError there): the feed
// then drops what it knew and never retries.
import type { RecordedEvent } from '@engagement/event-store';

export interface PersonalDataReader {
  decrypt(event: RecordedEvent): Promise<RecordedEvent>;
  /** True for the reader's "this contact's key is gone" error. */
  isErased(error: unknown): boolean;
}

const ENCRYPTED = /^pd1:/;

function holdsCiphertext(value: unknown): boolean {
  if (typeof value === 'string') return ENCRYPTED.test(value);
  if (value && typeof value === 'object') return Object.values(value).some(holdsCiphertext);
  return false;
}

/**
 * For tests that put contacts events on a topic of their own with personal
 * fields in clear: takes them as they are, and refuses ciphertext loudly
 * instead of pushing it to a CRM.
 */
export const clearTextOnlyReader: PersonalDataReader = {
  async decrypt(event) {
    if (holdsCiphertext(event.data)) {
      throw new Error(`Event ${event.id} holds encrypted personal data and no decrypting reader is configured`);
    }
    return event;
  },
  isErased: () => false,
};
