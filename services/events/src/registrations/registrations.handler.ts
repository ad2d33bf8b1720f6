// Registering, cancelling and the other commands on registrations.
//
// Register (the seed's POST /api/registrations): the event must take
// registrations; the email becomes a contact through the contacts service's
// upsert; the registration's id follows from the event and the contact;
// the event's seats decide seat or waitlist (at write time, under the
// seats stream's expected revision); then the registration stream is
// created with that status. A crash between the two appends leaves a seat
// held for a registration that does not exist yet: the client's retry
// derives the same id, finds its seat (allocation is idempotent) and
// creates the registration.
//
// Cancel frees the seat in the event's seats, which promotes the oldest
// waitlisted registration in the same append; the promoted registration
// then records its promotion. The seat keeper (seat-keeper.ts) does the
// same from the stored events, so a crash between these steps is repaired.
import { ConflictError, NotFoundError, type CommandContext } from '@engagement/decider';
import type { JsonObject } from '@engagement/event-store';
import type { RegistrationSource, RegistrationStatus } from '@engagement/contracts';
import { acceptsRegistrations } from '../events/event.decider';
import type { EventsStreams } from '../shared/events-streams';
import { registrationIdOf } from '../shared/streams';
import type { ContactsClient, Registrant } from './contacts-client';
import type { SeatAllocator } from './seat-allocator';

export interface RegisterInput extends Registrant {
  eventId: string;
  formData: JsonObject;
  utmParams: JsonObject | null;
  registrationSource: RegistrationSource | null;
  sourceUrl: string | null;
}

export interface RegistrationOutcome {
  id: string;
  eventId: string;
  contactId: string;
  status: RegistrationStatus;
  /** False when the contact was registered already (the existing registration). */
  created: boolean;
  position: bigint | null;
  revision: bigint;
}

export class RegistrationsHandler {
  constructor(
    private readonly streams: EventsStreams,
    private readonly seats: SeatAllocator,
    private readonly contacts: ContactsClient,
  ) {}

  async register(input: RegisterInput, context: CommandContext): Promise<RegistrationOutcome> {
    const event = await this.streams.eventState(input.eventId);
    if (!event.exists)
      throw new NotFoundError(`No event has the id ${input.eventId}`, 'event-not-found', {
        field: 'eventId',
      });
    // Before the contact is made: a closed event leaves no trace in contacts.
    if (!acceptsRegistrations(event.status)) {
      throw new ConflictError(
        `The event is ${event.status}: it takes no registrations`,
        'registration-closed',
        { currentStatus: event.status },
      );
    }
    const contactId = await this.contacts.upsertByEmail(input, context);
    const registrationId = registrationIdOf(input.eventId, contactId);

    const existing = await this.streams.registrationState(registrationId);
    if (existing.exists) return this.existing(registrationId, contactId, input.eventId);

    const { allocation } = await this.seats.decide(
      input.eventId,
      { type: 'Allocate', registrationId, capacity: event.details!.maxRegistrations },
      context,
    );
    const result = await this.streams.registration(
      registrationId,
      {
        type: 'Register',
        registrationId,
        eventId: input.eventId,
        contactId,
        status: allocation === 'seated' ? 'registered' : 'waitlisted',
        eventTitle: event.details!.title,
        registrationSource: input.registrationSource,
        sourceUrl: input.sourceUrl,
        utmParams: input.utmParams,
        formData: input.formData,
      },
      context,
    );
    if (result.events.length === 0) return this.existing(registrationId, contactId, input.eventId);
    return {
      id: registrationId,
      eventId: input.eventId,
      contactId,
      status: result.state.status,
      created: true,
      position: result.position,
      revision: result.revision,
    };
  }

  /** Cancels, frees the seat (promoting the oldest waitlisted registration). */
  async cancel(registrationId: string, reason: string | null, context: CommandContext) {
    const result = await this.streams.registration(
      registrationId,
      { type: 'Cancel', registrationId, reason },
      context,
    );
    await this.releaseSeat(result.state.eventId, registrationId, context);
    return result;
  }

  /** Frees the registration's seat or waitlist place, and records the promotions it causes. */
  async releaseSeat(eventId: string, registrationId: string, context: CommandContext) {
    const event = await this.streams.eventState(eventId);
    const { promoted } = await this.seats.decide(
      eventId,
      { type: 'Release', registrationId, capacity: event.details?.maxRegistrations ?? null },
      context,
    );
    await this.promote(promoted, context);
  }

  /** A raised capacity seats the waiting. */
  async recheckSeats(eventId: string, capacity: number | null, context: CommandContext) {
    const { promoted } = await this.seats.decide(eventId, { type: 'Recheck', capacity }, context);
    await this.promote(promoted, context);
  }

  async promote(registrationIds: string[], context: CommandContext): Promise<void> {
    for (const registrationId of registrationIds) {
      await this.streams.registration(registrationId, { type: 'Promote', registrationId }, context);
    }
  }

  private async existing(
    registrationId: string,
    contactId: string,
    eventId: string,
  ): Promise<RegistrationOutcome> {
    const { state, last } = await this.streams.registrationWithLast(registrationId);
    return {
      id: registrationId,
      eventId,
      contactId,
      status: state.status,
      created: false,
      position: last?.globalPosition ?? null,
      revision: last?.revision ?? -1n,
    };
  }
}
