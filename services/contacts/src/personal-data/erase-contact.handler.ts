// GDPR erasure of a contact (crypto-shredding), in this order:
//   1. destroy the contact's data key: from this moment the personal fields
//      of every event of the contact, in the store and in any copy of it
//      (Kafka, backups of the events table), are unreadable;
//   2. append ContactErased: the read model replaces what it holds with
//      placeholders, and other services forget the contact;
//   3. release the contact's email reservation, so the address can be used
//      again;
//   4. record the erasure receipt of the contacts service (the operators'
//      erasure report; other services add theirs as they apply it).
// Every step can be repeated, so a request that failed half-way is finished
// by sending it again. Should it never be sent again after step 1, nothing
// is readable anyway; and an erased holder loses its email at the next
// reservation attempt.
import type { CommandContext } from '@engagement/decider';
import { recordErasureApplied } from '@engagement/personal-data';
import type { EmailReservations } from '../email-reservation/email-reservation';
import type { ContactResult, ContactStreams } from '../shared/contact-streams';
import type { DataKeyStore } from './data-keys';

export class EraseContactHandler {
  constructor(
    private readonly contacts: ContactStreams,
    private readonly keys: DataKeyStore,
    private readonly emails: EmailReservations,
  ) {}

  async execute(contactId: string, context: CommandContext): Promise<ContactResult> {
    const { state } = await this.contacts.load(contactId);
    const command = { type: 'EraseContact', contactId } as const;
    // An unknown contact is refused (404) before any key is touched.
    if (state.kind === 'absent') return this.contacts.run(contactId, [command], context);
    // Read while it can still be read: after step 1 the stream only has placeholders.
    const email = state.kind === 'erased' ? null : state.contact.email;

    await this.keys.destroy(contactId);
    const result = await this.contacts.run(contactId, [command], context);
    if (email !== null) await this.emails.release(email, contactId, context);
    await recordErasureApplied(
      this.contacts.store,
      {
        contactId,
        service: 'contacts',
        target: null,
        detail: 'data keys destroyed, email released, read model blanked',
      },
      context.correlationId,
    );
    return result;
  }
}
