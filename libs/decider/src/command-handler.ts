// The thin shell around a decider: read the stream, fold, decide, append
// with the revision that was read. A concurrent writer makes the append
// fail with a conflict; the command is then decided again on fresh state
// (a bounded number of times), so no update is lost and none is applied
// on stale state.
import { randomUUID } from 'node:crypto';
import {
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@engagement/event-store';
import type { CommandContext, Decider, DomainEvent } from './decider';

export interface HandleCommandOptions<Event extends DomainEvent> {
  /** Maps a stored event (any schema version) to the current domain event. */
  upcast: (event: RecordedEvent) => Event;
  /** The schema version written for each event type. */
  schemaVersionOf: (type: Event['type']) => number;
  /** Retries after a concurrency conflict; 0 answers the first conflict with the error. */
  conflictRetries?: number;
}

export interface CommandResult<Event extends DomainEvent, State> {
  streamId: string;
  events: Event[];
  state: State;
  /** The stream's revision after the command (-1n: still no stream). */
  revision: bigint;
  /** Global position of the last event appended; null when nothing was appended. */
  position: bigint | null;
}

export async function handleCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  context: CommandContext,
  options: HandleCommandOptions<Event>,
): Promise<CommandResult<Event, State>> {
  const retries = options.conflictRetries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const stored = await store.readStream(streamId);
    let state = decider.initialState();
    for (const event of stored) state = decider.evolve(state, options.upcast(event));
    const revision = stored.length === 0 ? -1n : stored[stored.length - 1].revision;

    const events = decider.decide(command, state, context);
    if (events.length === 0) return { streamId, events, state, revision, position: null };

    try {
      const result = await store.appendToStream(
        streamId,
        events.map((e) => toNewEvent(e, context, options)),
        {
          expectedRevision: revision === -1n ? 'no_stream' : revision,
        },
      );
      const next = events.reduce((s, e) => decider.evolve(s, e), state);
      return {
        streamId,
        events,
        state: next,
        revision: result.nextExpectedRevision,
        position: result.position,
      };
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError && attempt < retries) continue;
      throw error;
    }
  }
}

export function toNewEvent<Event extends DomainEvent>(
  event: Event,
  context: CommandContext,
  options: Pick<HandleCommandOptions<Event>, 'schemaVersionOf'>,
): NewEvent {
  return {
    id: randomUUID(),
    type: event.type,
    schemaVersion: options.schemaVersionOf(event.type),
    data: event.data,
    metadata: {
      correlationId: context.correlationId,
      causationId: context.causationId,
      traceparent: context.traceparent,
      actor: context.actor,
      occurredAt: context.now.toISOString(),
    },
  };
}
