// Reading the contacts service's stored events in their current shape, and
// the version each event type is written with. Today every type is at v1,
// so the tables of upcasters are empty; the day a type changes shape, its
// old-to-new upcaster goes here (with a unit test: old JSON in, current
// event out).
import type { RecordedEvent } from '@engagement/event-store';
import { upcastEvent, type UpcasterTable } from '../upcasting';
import {
  CONTACT_EVENT_SCHEMA_VERSIONS,
  type ContactEvent,
  type ContactEventType,
} from './contact-events';
import { TAG_EVENT_SCHEMA_VERSIONS, type TagEvent, type TagEventType } from './tag-events';

const CONTACT_UPCASTERS: UpcasterTable = {};
const TAG_UPCASTERS: UpcasterTable = {};

export function upcastContactEvent(recorded: RecordedEvent): ContactEvent {
  return upcastEvent<ContactEvent>(recorded, CONTACT_EVENT_SCHEMA_VERSIONS, CONTACT_UPCASTERS);
}

export function upcastTagEvent(recorded: RecordedEvent): TagEvent {
  return upcastEvent<TagEvent>(recorded, TAG_EVENT_SCHEMA_VERSIONS, TAG_UPCASTERS);
}

/** The schema version an event of this type is appended with. */
export function schemaVersionOf(type: ContactEventType | TagEventType): number {
  return Object.hasOwn(CONTACT_EVENT_SCHEMA_VERSIONS, type)
    ? CONTACT_EVENT_SCHEMA_VERSIONS[type as ContactEventType]
    : TAG_EVENT_SCHEMA_VERSIONS[type as TagEventType];
}
