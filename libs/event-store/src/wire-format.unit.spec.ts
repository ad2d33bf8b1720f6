import { fromWireEvent, MalformedWireEventError, toWireEvent } from './wire-format';
import type { RecordedEvent } from './event-store.port';

const event: RecordedEvent = {
  id: '6f1c0a3e-1f7b-4a43-9d2e-2b1f0d6b9a10',
  type: 'ContactCreated',
  schemaVersion: 1,
  streamId: 'contact-1',
  revision: 3n,
  globalPosition: 2n ** 60n + 5n,
  data: { email: 'a@example.com' },
  metadata: {
    correlationId: 'c',
    causationId: null,
    traceparent: null,
    actor: null,
    occurredAt: '2026-01-01T00:00:00.000Z',
  },
};

describe('wire format', () => {
  it('round-trips a recorded event, bigints included, through JSON', () => {
    expect(fromWireEvent(JSON.stringify(toWireEvent(event)))).toEqual(event);
  });

  it.each([
    ['not JSON', '{'],
    ['a JSON array', '[]'],
    ['a missing type', JSON.stringify({ ...toWireEvent(event), type: undefined })],
    ['a numeric revision', JSON.stringify({ ...toWireEvent(event), revision: 3 })],
    ['missing data', JSON.stringify({ ...toWireEvent(event), data: null })],
  ])('rejects %s with a typed error', (_label, json) => {
    expect(() => fromWireEvent(json)).toThrow(MalformedWireEventError);
  });
});
