import type { RecordedEvent } from '@engagement/event-store';
import { UnknownEventTypeError, UnsupportedSchemaVersionError } from '../upcasting';
import { CONTACT_EVENT_TYPES, isContactEventType } from './contact-events';
import { TAG_EVENT_TYPES, isTagEventType } from './tag-events';
import { schemaVersionOf, upcastContactEvent, upcastTagEvent } from './upcast';

function stored(type: string, schemaVersion: number, data: RecordedEvent['data']): RecordedEvent {
  return {
    id: '7f0e3c1a-0000-4000-8000-000000000002',
    type,
    schemaVersion,
    data,
    streamId: 'contact-1',
    revision: 0n,
    globalPosition: 1n,
    metadata: {
      correlationId: 'c',
      causationId: null,
      traceparent: null,
      actor: 'test',
      occurredAt: '2026-01-01T00:00:00.000Z',
    },
  };
}

describe('contacts contracts', () => {
  it('writes every event type at v1 today', () => {
    for (const type of [...CONTACT_EVENT_TYPES, ...TAG_EVENT_TYPES])
      expect(schemaVersionOf(type)).toBe(1);
    expect(CONTACT_EVENT_TYPES).toHaveLength(18);
    expect(TAG_EVENT_TYPES).toHaveLength(5);
  });

  it('reads a v1 contact event as it was written', () => {
    const data = { contactId: 'c1', channel: 'email', at: '2026-01-01T00:00:00.000Z', ip: null };
    expect(upcastContactEvent(stored('ContactConsentGranted', 1, data))).toEqual({
      type: 'ContactConsentGranted',
      data,
    });
  });

  it('reads a v1 tag event as it was written', () => {
    const data = { tagId: 't1', slug: 'hot-lead' };
    expect(upcastTagEvent(stored('TagDeleted', 1, data))).toEqual({ type: 'TagDeleted', data });
  });

  it('keeps the two streams apart and refuses versions it does not know', () => {
    expect(() => upcastContactEvent(stored('TagDeleted', 1, {}))).toThrow(UnknownEventTypeError);
    expect(() => upcastTagEvent(stored('ContactDeleted', 1, {}))).toThrow(UnknownEventTypeError);
    expect(() => upcastContactEvent(stored('ContactDeleted', 2, {}))).toThrow(
      UnsupportedSchemaVersionError,
    );
  });

  it('tells consumers which types are contact or tag events', () => {
    expect(isContactEventType('ActivityRecorded')).toBe(true);
    expect(isContactEventType('TagCreated')).toBe(false);
    expect(isContactEventType('hasOwnProperty')).toBe(false);
    expect(isTagEventType('TagCrmMappingSet')).toBe(true);
  });
});
