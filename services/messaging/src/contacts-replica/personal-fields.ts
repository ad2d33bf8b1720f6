// Decrypting the replica's personal fields. With the contacts service's
// data keys (@engagement/personal-data: ContactPersonalData) the fields are
// read as the contacts service encrypted them; fields that are not
// envelopes (events written before encryption, tests) pass as they are.
import type { PersonalFieldsReader } from './recipient-directory';

/** What decrypt() of @engagement/personal-data's ContactPersonalData offers. */
export interface ContactEventDecrypter {
  decrypt<E extends { streamId: string; type: string; data: Record<string, unknown> }>(
    event: E,
  ): Promise<E>;
}

const ENVELOPE = /^pd1:/;

/**
 * Reads the fields through a decrypter by presenting them as the contact
 * events they came from (ContactCreated for identity, ContactPropertySet
 * per property), so that the library decides what is personal and how.
 */
export function personalFieldsReader(
  decrypter: ContactEventDecrypter | null,
  isErasedError: (error: unknown) => boolean,
): PersonalFieldsReader {
  return async (contactId, fields) => {
    const anyEnvelope = [
      fields.email,
      fields.phone,
      fields.firstName,
      fields.lastName,
      ...Object.values(fields.properties),
    ].some((v) => typeof v === 'string' && ENVELOPE.test(v));
    if (!anyEnvelope) return fields;
    if (!decrypter)
      throw new Error(
        'personal data is encrypted and no decrypter is configured (CONTACTS_URL, service identity)',
      );
    try {
      const streamId = `contact-${contactId}`;
      const identity = await decrypter.decrypt({
        streamId,
        type: 'ContactCreated',
        data: {
          contactId,
          email: fields.email,
          phone: fields.phone,
          firstName: fields.firstName,
          lastName: fields.lastName,
        },
      });
      const properties: Record<string, string> = {};
      for (const [name, value] of Object.entries(fields.properties)) {
        const set = await decrypter.decrypt({
          streamId,
          type: 'ContactPropertySet',
          data: { contactId, name, value },
        });
        properties[name] = String(set.data.value);
      }
      const d = identity.data as Record<string, string | null>;
      return {
        email: d.email,
        phone: d.phone,
        firstName: d.firstName,
        lastName: d.lastName,
        properties,
      };
    } catch (error) {
      if (isErasedError(error)) return 'erased';
      throw error;
    }
  };
}
