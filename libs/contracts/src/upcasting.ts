// Reading old events as current ones. Stored events are never rewritten:
// when an event type's data changes in a way that is not purely additive, it
// gets a new schema version, and an upcaster that turns the old data into
// the new shape. Readers (deciders, projections, other services' consumers)
// only ever see the current shape.
//
// The mechanism is a table: upcasters[type][n] turns version n into n + 1,
// and an event written at version 1 of a type now at version 3 passes
// through upcasters[type][1] and then upcasters[type][2].
import type { DomainEvent } from '@engagement/decider';
import type { JsonObject, RecordedEvent } from '@engagement/event-store';

/** Turns the data of one schema version of an event type into the next version's. */
export type Upcaster = (data: JsonObject) => JsonObject;

/** upcasters[type][n]: from version n to n + 1. */
export type UpcasterTable = Readonly<Record<string, Readonly<Record<number, Upcaster>>>>;

/** The event's type is not one this reader knows. */
export class UnknownEventTypeError extends Error {
  constructor(readonly eventType: string) {
    super(`Unknown event type ${eventType}`);
    this.name = 'UnknownEventTypeError';
  }
}

/**
 * The event's schema version cannot be read: newer than this code knows (a
 * reader running older code than the writer), below 1, or with no upcaster
 * for a step on the way to the current version.
 */
export class UnsupportedSchemaVersionError extends Error {
  constructor(
    readonly eventType: string,
    readonly schemaVersion: number,
    readonly currentVersion: number,
  ) {
    super(`Cannot read ${eventType} v${schemaVersion}: the current version is v${currentVersion}`);
    this.name = 'UnsupportedSchemaVersionError';
  }
}

/** Maps a stored event of any known version to the current shape of its type. */
export function upcastEvent<Event extends DomainEvent>(
  recorded: Pick<RecordedEvent, 'type' | 'schemaVersion' | 'data'>,
  currentVersions: Readonly<Record<Event['type'], number>>,
  upcasters: UpcasterTable,
): Event {
  const type = recorded.type;
  if (!Object.hasOwn(currentVersions, type)) throw new UnknownEventTypeError(type);
  const current = currentVersions[type as Event['type']];
  const version = recorded.schemaVersion;
  if (!Number.isInteger(version) || version < 1 || version > current) {
    throw new UnsupportedSchemaVersionError(type, version, current);
  }

  let data = recorded.data;
  for (let from = version; from < current; from++) {
    const step = upcasters[type]?.[from];
    if (!step) throw new UnsupportedSchemaVersionError(type, version, current);
    data = step(data);
  }
  // The cast is the contract: what our own writers stored under this type,
  // brought to the current version, has the current shape. Events are not
  // re-validated on every read.
  return { type, data } as Event;
}
