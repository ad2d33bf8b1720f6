// How this service's command handlers run a decider on a stream: the
// platform's runCommand (read, fold, decide, append with the revision read,
// decide again on a conflict) with this service's upcasting and versions.
import type { CommandContext, CommandResult, Decider, DomainEvent } from '@engagement/decider';
import {
  eventsSchemaVersionOf,
  upcastEventEvent,
  upcastRegistrationEvent,
  type EventEvent,
  type RegistrationEvent,
} from '@engagement/contracts';
import type { EventStore, RecordedEvent } from '@engagement/event-store';
import { runCommand } from '@engagement/service-runtime';
import { eventDecider, type EventCommand, type EventState } from '../events/event.decider';
import {
  registrationDecider,
  type RegistrationCommand,
  type RegistrationState,
} from '../registrations/registration.decider';
import {
  SEATS_EVENT_SCHEMA_VERSIONS,
  seatsDecider,
  type SeatsCommand,
  type SeatsEvent,
  type SeatsState,
} from '../registrations/seats.decider';
import { eventStream, registrationStream, seatsStream } from './streams';

function run<C, E extends DomainEvent, S>(
  store: EventStore,
  streamId: string,
  decider: Decider<C, E, S>,
  command: C,
  context: CommandContext,
  upcast: (event: RecordedEvent) => E,
  versionOf: (type: E['type']) => number,
): Promise<CommandResult<E, S>> {
  return runCommand(store, streamId, decider, command, context, {
    upcast,
    schemaVersionOf: versionOf,
  });
}

/** The service's three aggregates over one event store. */
export class EventsStreams {
  constructor(readonly store: EventStore) {}

  event(eventId: string, command: EventCommand, context: CommandContext) {
    return run<EventCommand, EventEvent, EventState>(
      this.store,
      eventStream(eventId),
      eventDecider,
      command,
      context,
      upcastEventEvent,
      eventsSchemaVersionOf,
    );
  }

  registration(registrationId: string, command: RegistrationCommand, context: CommandContext) {
    return run<RegistrationCommand, RegistrationEvent, RegistrationState>(
      this.store,
      registrationStream(registrationId),
      registrationDecider,
      command,
      context,
      upcastRegistrationEvent,
      eventsSchemaVersionOf,
    );
  }

  seats(eventId: string, command: SeatsCommand, context: CommandContext) {
    return run<SeatsCommand, SeatsEvent, SeatsState>(
      this.store,
      seatsStream(eventId),
      seatsDecider,
      command,
      context,
      (e) => ({ type: e.type, data: e.data }) as SeatsEvent,
      (type) => SEATS_EVENT_SCHEMA_VERSIONS[type],
    );
  }

  async eventState(eventId: string): Promise<EventState> {
    return fold(await this.store.readStream(eventStream(eventId)), eventDecider, upcastEventEvent);
  }

  async registrationState(registrationId: string): Promise<RegistrationState> {
    return fold(
      await this.store.readStream(registrationStream(registrationId)),
      registrationDecider,
      upcastRegistrationEvent,
    );
  }

  /** The registration's state and its stream's last event (position and revision to answer with). */
  async registrationWithLast(registrationId: string) {
    const stored = await this.store.readStream(registrationStream(registrationId));
    return {
      state: fold(stored, registrationDecider, upcastRegistrationEvent),
      last: stored.at(-1) as RecordedEvent | undefined,
    };
  }

  async seatsState(eventId: string): Promise<SeatsState> {
    return fold(
      await this.store.readStream(seatsStream(eventId)),
      seatsDecider,
      (e) => ({ type: e.type, data: e.data }) as SeatsEvent,
    );
  }
}

function fold<E extends DomainEvent, S>(
  events: RecordedEvent[],
  decider: Pick<Decider<unknown, E, S>, 'initialState' | 'evolve'>,
  upcast: (event: RecordedEvent) => E,
): S {
  return events.reduce(
    (state, event) => decider.evolve(state, upcast(event)),
    decider.initialState(),
  );
}
