// Test helpers: resolved events shaped like @eventstore/db-client's types,
// for the unit specs of this adapter (no server needed).
import type { AllStreamResolvedEvent, MetadataType, ResolvedEvent } from '@eventstore/db-client';

export const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

export const metadata = {
  correlationId: 'corr-1',
  causationId: null,
  traceparent: TRACEPARENT,
  actor: 'unit-test',
  occurredAt: '2026-01-01T00:00:00.000Z',
};

let nextId = 0;

export function fakeAllEvent(fields: {
  position: bigint;
  streamId?: string;
  type?: string;
  revision?: bigint;
  data?: Record<string, unknown>;
  metadata?: MetadataType | undefined;
}): AllStreamResolvedEvent {
  nextId++;
  return {
    event: {
      streamId: fields.streamId ?? 'contact-1',
      id: `00000000-0000-4000-8000-${String(nextId).padStart(12, '0')}`,
      isJson: true,
      revision: fields.revision ?? 0n,
      type: fields.type ?? 'ContactCreated',
      created: new Date('2026-01-01T00:00:00.000Z'),
      data: fields.data ?? { email: 'a@example.com' },
      metadata: 'metadata' in fields ? fields.metadata : { ...metadata, schemaVersion: 1 },
      position: { commit: fields.position, prepare: fields.position },
    },
    commitPosition: fields.position,
  };
}

/** A stream read's resolved event: older servers leave the position out. */
export function fakeStreamEvent(fields: {
  data: Uint8Array;
  metadata: Uint8Array;
  withPosition?: bigint;
}): ResolvedEvent {
  return {
    event: {
      streamId: 'contact-2',
      id: '6f1c0a3e-1f7b-4a43-9d2e-2b1f0d6b9a10',
      isJson: false,
      revision: 4n,
      type: 'ContactRenamed',
      created: new Date('2026-01-01T00:00:00.000Z'),
      data: fields.data,
      metadata: fields.metadata,
      position:
        fields.withPosition === undefined
          ? undefined
          : { commit: fields.withPosition, prepare: fields.withPosition },
    },
  };
}

export async function* asAsyncIterable<T>(items: T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}
