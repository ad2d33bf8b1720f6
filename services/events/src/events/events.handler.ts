// The commands on events: the decider decides; around it, the slug is
// reserved before an event takes it (and given back when it changes), and
// a raised capacity seats the waiting.
import type { CommandContext } from '@engagement/decider';
import type { EventsStreams } from '../shared/events-streams';
import type { RegistrationsHandler } from '../registrations/registrations.handler';
import type { EventCommand } from './event.decider';
import type { SlugReservations } from './slug-reservations';

export class EventsHandler {
  constructor(
    private readonly streams: EventsStreams,
    private readonly slugs: SlugReservations,
    private readonly registrations: RegistrationsHandler,
  ) {}

  async execute(command: EventCommand, context: CommandContext) {
    if (command.type === 'CreateEvent' && command.details.landingPageSlug) {
      await this.slugs.reserve(command.details.landingPageSlug, command.eventId, context);
    }
    let previous: { slug: string | null; capacity: number | null } | undefined;
    if (command.type === 'UpdateEvent') {
      const state = await this.streams.eventState(command.eventId);
      previous = state.details
        ? { slug: state.details.landingPageSlug, capacity: state.details.maxRegistrations }
        : undefined;
      const slug = command.changes.landingPageSlug;
      if (slug) await this.slugs.reserve(slug, command.eventId, context);
    }
    const result = await this.streams.event(command.eventId, command, context);

    if (command.type === 'UpdateEvent' && previous && result.events.length > 0) {
      const now = result.state.details!;
      if (previous.slug && previous.slug !== now.landingPageSlug)
        await this.slugs.release(previous.slug, command.eventId, context);
      const capacity = now.maxRegistrations;
      if (capacity === null || (previous.capacity !== null && capacity > previous.capacity))
        await this.registrations.recheckSeats(command.eventId, capacity, context);
    }
    return result;
  }
}
