// Reading the events service's stored or published events in their current
// shape, and the version each type is written with. Every type is at v1
// today, so the upcaster tables are empty.
import type { RecordedEvent } from '@engagement/event-store';
import { upcastEvent, type UpcasterTable } from '../upcasting';
import { EVENT_EVENT_SCHEMA_VERSIONS, type EventEvent, type EventEventType } from './event-events';
import {
  REGISTRATION_EVENT_SCHEMA_VERSIONS,
  type RegistrationEvent,
  type RegistrationEventType,
} from './registration-events';

const NO_UPCASTERS: UpcasterTable = {};

export type EventsServiceEvent = EventEvent | RegistrationEvent;

export const EVENTS_SERVICE_EVENT_SCHEMA_VERSIONS: Record<
  EventEventType | RegistrationEventType,
  number
> = { ...EVENT_EVENT_SCHEMA_VERSIONS, ...REGISTRATION_EVENT_SCHEMA_VERSIONS };

export function isEventsServiceEventType(type: string): type is EventsServiceEvent['type'] {
  return Object.hasOwn(EVENTS_SERVICE_EVENT_SCHEMA_VERSIONS, type);
}

export function upcastEventEvent(recorded: RecordedEvent): EventEvent {
  return upcastEvent<EventEvent>(recorded, EVENT_EVENT_SCHEMA_VERSIONS, NO_UPCASTERS);
}

export function upcastRegistrationEvent(recorded: RecordedEvent): RegistrationEvent {
  return upcastEvent<RegistrationEvent>(recorded, REGISTRATION_EVENT_SCHEMA_VERSIONS, NO_UPCASTERS);
}

/** Any event of topic `events`, in its current shape. */
export function upcastEventsServiceEvent(recorded: RecordedEvent): EventsServiceEvent {
  return upcastEvent<EventsServiceEvent>(
    recorded,
    EVENTS_SERVICE_EVENT_SCHEMA_VERSIONS,
    NO_UPCASTERS,
  );
}

export function eventsSchemaVersionOf(type: EventsServiceEvent['type']): number {
  return EVENTS_SERVICE_EVENT_SCHEMA_VERSIONS[type];
}
