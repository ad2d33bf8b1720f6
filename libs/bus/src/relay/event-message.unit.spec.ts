import { fromWireEvent, type RecordedEvent } from '@engagement/event-store';
import { eventToMessage } from './event-message';

const event: RecordedEvent = {
  id: '6f1c7a52-3f0e-4c1b-9d7e-0c2b1a9e8f01',
  type: 'ContactCreated',
  schemaVersion: 2,
  streamId: 'contact-42',
  revision: 3n,
  globalPosition: 123456789012345678n,
  data: { email: 'ada@example.com' },
  metadata: {
    correlationId: 'corr-1',
    causationId: 'cause-1',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    actor: 'api-key-1',
    occurredAt: '2026-01-02T03:04:05.000Z',
  },
};

describe('eventToMessage', () => {
  it('keys by stream id, carries the wire JSON and the routing and tracing headers', () => {
    const message = eventToMessage(event);
    expect(message.key).toBe('contact-42');
    expect(fromWireEvent(message.value)).toEqual(event);
    expect(message.headers).toEqual({
      'event-id': event.id,
      'event-type': 'ContactCreated',
      'schema-version': '2',
      'content-type': 'application/json',
      'correlation-id': 'corr-1',
      'causation-id': 'cause-1',
      traceparent: event.metadata.traceparent,
    });
  });

  it('leaves out headers whose metadata is null', () => {
    const headers = eventToMessage({
      ...event,
      metadata: { ...event.metadata, causationId: null, traceparent: null },
    }).headers;
    expect(headers).not.toHaveProperty('causation-id');
    expect(headers).not.toHaveProperty('traceparent');
  });
});
