import type { DomainEvent } from '@engagement/decider';
import type { RecordedEvent } from '@engagement/event-store';
import {
  UnknownEventTypeError,
  UnsupportedSchemaVersionError,
  upcastEvent,
  type UpcasterTable,
} from './upcasting';

// A made-up event type that exists only in this test, to show the mechanism:
// v1 had one `name`; v2 split it into first and last name; v3 added `locale`.
type PersonRegistered = DomainEvent<
  'PersonRegistered',
  { personId: string; firstName: string; lastName: string | null; locale: string }
>;
const versions = { PersonRegistered: 3 } as const;
const upcasters: UpcasterTable = {
  PersonRegistered: {
    1: ({ name, ...rest }) => {
      const [first, ...others] = String(name).split(' ');
      return { ...rest, firstName: first, lastName: others.length > 0 ? others.join(' ') : null };
    },
    2: (data) => ({ ...data, locale: 'en' }),
  },
};

function stored(type: string, schemaVersion: number, data: RecordedEvent['data']): RecordedEvent {
  return {
    id: '7f0e3c1a-0000-4000-8000-000000000001',
    type,
    schemaVersion,
    data,
    streamId: 'person-1',
    revision: 0n,
    globalPosition: 1n,
    metadata: {
      correlationId: 'c',
      causationId: null,
      traceparent: null,
      actor: 'test',
      occurredAt: '2020-01-01T00:00:00.000Z',
    },
  };
}

describe('upcastEvent', () => {
  it('brings old JSON through every step to the current shape', () => {
    const old = stored('PersonRegistered', 1, { personId: 'p1', name: 'Ada King Lovelace' });
    expect(upcastEvent<PersonRegistered>(old, versions, upcasters)).toEqual({
      type: 'PersonRegistered',
      data: { personId: 'p1', firstName: 'Ada', lastName: 'King Lovelace', locale: 'en' },
    });
  });

  it('starts from the stored version', () => {
    const v2 = stored('PersonRegistered', 2, { personId: 'p1', firstName: 'Ada', lastName: null });
    expect(upcastEvent<PersonRegistered>(v2, versions, upcasters).data).toEqual({
      personId: 'p1',
      firstName: 'Ada',
      lastName: null,
      locale: 'en',
    });
  });

  it('returns a current event as it is, as a plain {type, data}', () => {
    const data = { personId: 'p1', firstName: 'Ada', lastName: null, locale: 'fr' };
    expect(upcastEvent(stored('PersonRegistered', 3, data), versions, upcasters)).toEqual({
      type: 'PersonRegistered',
      data,
    });
  });

  it('refuses unknown types, versions from the future, versions below 1 and missing steps', () => {
    expect(() => upcastEvent(stored('PersonForgotten', 1, {}), versions, upcasters)).toThrow(
      UnknownEventTypeError,
    );
    expect(() => upcastEvent(stored('PersonRegistered', 4, {}), versions, upcasters)).toThrow(
      UnsupportedSchemaVersionError,
    );
    expect(() => upcastEvent(stored('PersonRegistered', 0, {}), versions, upcasters)).toThrow(
      UnsupportedSchemaVersionError,
    );
    expect(() => upcastEvent(stored('PersonRegistered', 1, { name: 'x' }), versions, {})).toThrow(
      UnsupportedSchemaVersionError,
    );
  });

  it('does not take inherited object keys for event types', () => {
    expect(() => upcastEvent(stored('toString', 1, {}), versions, upcasters)).toThrow(
      UnknownEventTypeError,
    );
  });
});
