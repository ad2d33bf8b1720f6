// "An email belongs to one contact", enforced at write time with the
// reservation pattern of shared/reservations.ts: one stream per normalised
// address, email-reservation-<HMAC-SHA256 hex of the address> (a keyed hash,
// CONTACTS_EMAIL_HASH_KEY: no stream id carries personal data, and whoever
// reads the event store without the key cannot test whether an address was
// ever a contact), whose last event names the contact that holds the address.
//
// - Create: the reservation and the contact's ContactCreated in one
//   multi-stream append when the address was never reserved (the common
//   case: nothing can be left half-done). Otherwise, or on an event store
//   without appendToStreams: reserve for the new contact id, then append its
//   ContactCreated. A reservation whose contact stream does not exist (a create in flight, or
//   one that crashed after reserving) is not taken over: the caller creates
//   that very contact id instead (see contacts/create-contact.handler.ts), and
//   the contact stream's 'no_stream' append decides who wins. So a retry
//   after a crash completes, and the invariant never depends on timing.
// - Email change: reserve the new address, append ContactEmailChanged,
//   release the old address. Here an absent holder older than the lease is
//   taken over after fencing it: its contact stream is closed with
//   ContactErased (and its data key destroyed), so the crashed create can
//   never be completed later.
// - Erasure releases the address; an erased holder loses it at once anyway.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { schemaVersionOf } from '@engagement/contracts';
import { toNewEvent, type CommandContext } from '@engagement/decider';
import { WrongExpectedRevisionError, type StreamAppend } from '@engagement/event-store';
import type { DataKeyStore } from '../personal-data/data-keys';
import { contactStreamId, type ContactStreams } from '../shared/contact-streams';
import {
  firstReservation,
  readReservation,
  release,
  reserve,
  type Reservation,
  type HolderStatus,
  type ReservationPolicy,
  type ReserveResult,
} from '../shared/reservations';

/**
 * Expects a normalised address (domain/email.ts normaliseEmail). The key is
 * best a KeyObject made once: from a Buffer, OpenSSL imports the key again
 * at every call, which costs more than the hash of a short address.
 */
export function emailReservationStreamId(email: string, hashKey: Buffer | KeyObject): string {
  return `email-reservation-${createHmac('sha256', hashKey).update(email, 'utf8').digest('hex')}`;
}

export class EmailReservations {
  private readonly hashKey: KeyObject;

  constructor(
    private readonly contacts: ContactStreams,
    private readonly keys: DataKeyStore,
    hashKey: Buffer,
  ) {
    this.hashKey = createSecretKey(hashKey);
  }

  /** Where the holder's own stream stands with respect to this email. */
  async holderStatus(holderId: string, email: string): Promise<HolderStatus> {
    const { state } = await this.contacts.load(holderId);
    switch (state.kind) {
      case 'absent':
        return 'absent';
      case 'erased':
        return 'gone';
      case 'live':
      case 'deleted':
        // A soft-deleted contact keeps its email until it is erased: the
        // read model still has its row, and seed's contacts.email is UNIQUE.
        return state.contact.email === email ? 'holds' : 'elsewhere';
    }
  }

  /**
   * The address's first reservation for a new contact, as a part of the
   * append that creates the contact (contacts/create-contact.handler.ts,
   * bulk-import/): fails, with the whole append, when the address was ever
   * reserved, and the caller then goes through reserveForCreate().
   */
  firstReservation(email: string, contactId: string, context: CommandContext): StreamAppend {
    return firstReservation(emailReservationStreamId(email, this.hashKey), contactId, context);
  }

  /** The address's reservation as it stands (holder null: free, or never reserved). */
  current(email: string): Promise<Reservation> {
    return readReservation(this.contacts.store, emailReservationStreamId(email, this.hashKey));
  }

  /**
   * For creates: absent holders are reported, never taken over. `known`:
   * the reservation as the caller just read it (current()).
   */
  reserveForCreate(email: string, contactId: string, context: CommandContext, known?: Reservation) {
    return this.reserve(email, contactId, context, false, known);
  }

  /** For email changes: absent holders past the lease are fenced and taken over. */
  reserveForChange(email: string, contactId: string, context: CommandContext) {
    return this.reserve(email, contactId, context, true);
  }

  async release(email: string, contactId: string, context: CommandContext): Promise<void> {
    await release(
      this.contacts.store,
      emailReservationStreamId(email, this.hashKey),
      contactId,
      context,
    );
  }

  private reserve(
    email: string,
    contactId: string,
    context: CommandContext,
    fenceAbsent: boolean,
    known?: Reservation,
  ): Promise<ReserveResult> {
    const policy: ReservationPolicy = {
      statusOf: (holderId) => this.holderStatus(holderId, email),
      fenceAbsentHolder: fenceAbsent ? (holderId, ctx) => this.fence(holderId, ctx) : undefined,
    };
    return reserve(
      this.contacts.store,
      emailReservationStreamId(email, this.hashKey),
      contactId,
      policy,
      context,
      undefined,
      known,
    );
  }

  /**
   * Closes a contact stream that was never created, so that no late create
   * can ever succeed on it: ContactErased appended with 'no_stream', and
   * the (maybe already created) data key destroyed. Returns false when the
   * contact was created meanwhile.
   */
  private async fence(holderId: string, context: CommandContext): Promise<boolean> {
    const erased = {
      type: 'ContactErased' as const,
      data: { contactId: holderId, erasedAt: new Date().toISOString() },
    };
    try {
      await this.contacts.store.appendToStream(
        contactStreamId(holderId),
        [toNewEvent(erased, context, { schemaVersionOf })],
        { expectedRevision: 'no_stream' },
      );
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      const { state } = await this.contacts.load(holderId);
      if (state.kind !== 'erased') return false;
    }
    await this.keys.destroy(holderId);
    return true;
  }
}
